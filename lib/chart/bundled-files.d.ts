// The files esbuild's `file` loader copies into the Lambda asset: importing one gives its path (lib/chart/assets.ts).
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "*.ttf" {
  const path: string;
  export default path;
}
