import type { MessageCompiler, MessageContext, MessageFunction } from 'vue-i18n';

/**
 * What vue-i18n reads as syntax in a message: placeholders, links, plural bars, modulo. A message
 * without any of these is its own text.
 */
export const MESSAGE_SYNTAX = /[{}@|%]/;

/** vue-i18n's message context with `normalize`, which message functions use and its published types leave out. */
type Context = MessageContext<string> & { normalize(values: unknown[]): unknown };

/** Built once per text (the catalogues bound how many there are). */
const made = new Map<string, MessageFunction<string>>();

/**
 * The built page's message compiler (vite.config.ts leaves vue-i18n's own out): the build turned
 * every message with syntax into a function (renderer/build/precompile-messages.ts) and left plain
 * text as strings, which this makes into message functions. A string with syntax never gets here
 * from the catalogues; one that did is shown as written and said in the console.
 */
export const plainTextCompiler: MessageCompiler<string, string | object> = (message, context) => {
  if (typeof message === 'string' && !MESSAGE_SYNTAX.test(message)) {
    let fn = made.get(message);
    if (!fn) made.set(message, (fn = ((ctx: Context) => ctx.normalize([message])) as MessageFunction<string>));
    return fn;
  }
  console.error(`appel: the message ${context.key} was not compiled when the page was built`);
  return () => (typeof message === 'string' ? message : context.key);
};
