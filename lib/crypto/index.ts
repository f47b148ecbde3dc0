import { KMSClient } from "@aws-sdk/client-kms";
import type { EncryptionConfig } from "../config";
import { EnvelopeCipher } from "./envelope";
import { KmsKeyProvider } from "./kms-key-provider";
import { LocalKeyProvider } from "./local-key-provider";

export { DecryptionError, EnvelopeCipher, type KeyProvider, type SecretContext } from "./envelope";
export { KmsKeyProvider } from "./kms-key-provider";
export { LocalKeyProvider } from "./local-key-provider";

/** The cipher for the configured key: KMS in AWS, the local key file (or `SESSION_ENCRYPTION_KEY`) elsewhere. */
export function createCipher(config: EncryptionConfig, region?: string): EnvelopeCipher {
  if (config.kind === "kms") {
    return new EnvelopeCipher(new KmsKeyProvider(new KMSClient(region ? { region } : {}), config.keyId));
  }
  return new EnvelopeCipher(
    config.key ? new LocalKeyProvider(config.key) : LocalKeyProvider.fromDataDir(config.dataDir),
  );
}
