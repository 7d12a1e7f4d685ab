/**
 * A certificate authority file the user chooses (`<input type=file>`), read here in the page: its
 * PEM text goes to the engine as the account's `ca` (a window never names a file to the engine).
 * Only certificates are kept: a private key pasted by mistake never leaves the page.
 */

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM text, one after another; undefined when there is none. */
export function certificatesOf(text: string): string | undefined {
  const found = text.match(CERTIFICATE);
  return found ? found.join('\n') + '\n' : undefined;
}

/** The certificates of the file chosen in `input` (undefined: none chosen, or no certificate in it). */
export async function readCertificateFile(input: HTMLInputElement): Promise<{ name: string; pem?: string } | undefined> {
  const file = input.files?.[0];
  if (!file) return undefined;
  // A CA bundle is a few kB; anything much larger is not one.
  if (file.size > 64_000) return { name: file.name };
  return { name: file.name, pem: certificatesOf(await file.text()) };
}
