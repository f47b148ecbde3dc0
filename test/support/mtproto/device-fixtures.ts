/** Logins that the device tests (in process and from the CLI) put beside our key at the loopback DC. */
import type { DeviceSpec } from "./account-security";

/** An official Android app on a phone, from Almaty: the login every device listing test expects to see in full. */
export const ANDROID_PHONE_LOGIN: DeviceSpec = {
  deviceModel: "Samsung Galaxy S23",
  platform: "Android",
  systemVersion: "SDK 34",
  appName: "Telegram Android",
  appVersion: "11.2.3",
  officialApp: true,
  country: "Kazakhstan",
  region: "Almaty",
};
