export * from "./errors";
export * from "./lifecycle";
export * from "./phone";
export * from "./repository";
export * from "./revocation";
export * from "./session";
export * from "./proxy";
export * from "./identity";
