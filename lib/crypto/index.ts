import { KMSClient } from "@aws-sdk/client-kms";
import type { EncryptionConfig } from "../config";
import { EnvelopeCipher, type KeyProvider } from "./envelope";
import { KmsKeyProvider } from "./kms-key-provider";
import { LocalKeyProvider } from "./local-key-provider";

export { DecryptionError, EnvelopeCipher, type KeyProvider, type SecretContext } from "./envelope";
export { KmsKeyProvider } from "./kms-key-provider";
export { LocalKeyProvider } from "./local-key-provider";

/** The cipher for the configured key: KMS in AWS, the local key file (or `SESSION_ENCRYPTION_KEY`) elsewhere. */
export function createCipher(config: EncryptionConfig, region?: string): EnvelopeCipher {
  return new EnvelopeCipher(createKeyProvider(config, region));
}

/** The key provider for the configured key, built at once (the local key file is read or created here). */
export function createKeyProvider(config: EncryptionConfig, region?: string): KeyProvider {
  if (config.kind === "kms") return new KmsKeyProvider(new KMSClient(region ? { region } : {}), config.keyId);
  return config.key ? new LocalKeyProvider(config.key) : LocalKeyProvider.fromDataDir(config.dataDir);
}

/**
 * The same provider, built when a secret is first sealed or opened: a process that never touches a session string
 * (a button press, `sessions list`, a delete) makes no KMS client and never reads or creates the local key file
 * (`.data/session-encryption.key` is not made as a side effect on a machine that has none yet).
 */
export function lazyKeyProvider(config: EncryptionConfig, region?: string): KeyProvider {
  let provider: KeyProvider | undefined;
  const get = () => (provider ??= createKeyProvider(config, region));
  return {
    name: config.kind,
    generateDataKey: (context) => get().generateDataKey(context),
    unwrapDataKey: (wrapped, context) => get().unwrapDataKey(wrapped, context),
  };
}
