/** Vite bundles `file.ts?worker&url` as a separate same-origin script and gives its URL. */
declare module '*?worker&url' {
  const url: string;
  export default url;
}
