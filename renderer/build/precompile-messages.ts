/**
 * The UI's words compiled when the page is built, not when it runs (issue 12, start-up): every
 * message of the catalogues (renderer/src/i18n/en.ts, fr.ts, video.ts) with vue-i18n syntax in it
 * becomes a message function, so the page ships no message compiler (vite.config.ts drops it
 * with `__INTLIFY_DROP_MESSAGE_COMPILER__`). Plain text stays a string, which the page's
 * plain-text compiler (renderer/src/i18n/plain-text.ts) wraps: a string literal costs V8 less to
 * parse than a function literal, and four in five messages are plain. Messages are parsed by
 * vue-i18n's own compiler (@intlify/message-compiler), so their syntax is the one the docs give;
 * a message it rejects fails the build with its key.
 *
 *   'Dialpad'                     ->  'Dialpad'
 *   'Call {name}'                 ->  (c) => c.normalize(["Call ", c.interpolate(c.named("name"))])
 *   '{n} missed call | {n} missed calls'
 *                                 ->  (c) => c.plural([c.normalize([...]), c.normalize([...])])
 *
 * The catalogues stay plain data for the tests that read them (test/unit/renderer/i18n.test.ts, the
 * end-to-end tests' English words): only the page's build goes through this plugin.
 */
import { baseCompile, type CompileError } from '@intlify/message-compiler';
import type { Plugin } from 'vite';
import { MESSAGE_SYNTAX } from '../src/i18n/plain-text.ts';

/** The message compiler's node types (its `NodeTypes`, a `const enum` its types cannot lend us). */
const NODE = { Resource: 0, Plural: 1, Message: 2, Text: 3, Named: 4, List: 5, Linked: 6, Literal: 9 } as const;

interface AstNode {
  type: number;
  body?: AstNode;
  cases?: AstNode[];
  items?: AstNode[];
  static?: string;
  value?: string;
  key?: string;
  index?: number;
}

/** The JavaScript of one message function (`c` is vue-i18n's message context). */
export function compileMessage(source: string): string {
  const errors: string[] = [];
  const { ast } = baseCompile(source, { jit: true, location: false, onError: (e: CompileError) => errors.push(e.message) });
  if (errors.length > 0) throw new Error(errors.join('; '));
  return `(c)=>${body(ast as unknown as AstNode)}`;
}

function body(resource: AstNode): string {
  const b = resource.body;
  if (resource.type !== NODE.Resource || !b) throw new Error('not a message');
  return b.type === NODE.Plural ? `c.plural([${(b.cases ?? []).map(message).join(',')}])` : message(b);
}

/** One message (or one plural case): its parts, joined by `normalize`. */
function message(node: AstNode): string {
  if (node.type !== NODE.Message) throw new Error(`unexpected node ${node.type} where a message was expected`);
  if (node.static !== undefined) return `c.normalize([${JSON.stringify(node.static)}])`;
  return `c.normalize([${(node.items ?? []).map(part).join(',')}])`;
}

function part(node: AstNode): string {
  switch (node.type) {
    case NODE.Text:
    case NODE.Literal:
      return JSON.stringify(node.value ?? '');
    case NODE.Named:
      return `c.interpolate(c.named(${JSON.stringify(node.key)}))`;
    case NODE.List:
      return `c.interpolate(c.list(${Number(node.index)}))`;
    case NODE.Linked:
      throw new Error("linked messages ('@:key') are not compiled here: write the words, or escape the at-sign as {'@'}");
    default:
      throw new Error(`unexpected node ${node.type} in a message`);
  }
}

/** The ESTree nodes this plugin reads (what `this.parse` returns, with offsets). */
interface EsNode {
  type: string;
  start: number;
  end: number;
  [field: string]: unknown;
}

const isNode = (v: unknown): v is EsNode => typeof v === 'object' && v !== null && typeof (v as EsNode).type === 'string';

/** A property's name as written (`a`, `'a'`), for error messages. */
function keyName(key: unknown): string {
  if (!isNode(key)) return '?';
  if (key.type === 'Identifier') return String(key.name);
  if (key.type === 'Literal') return String(key.value);
  return '?';
}

/**
 * Every string that is a property's value in the module (a catalogue holds nothing else), with
 * its key path. A template literal with expressions has no place in a catalogue: it fails.
 */
function messageStrings(program: EsNode): Array<{ node: EsNode; text: string; path: string }> {
  const out: Array<{ node: EsNode; text: string; path: string }> = [];
  const visit = (node: EsNode, path: string): void => {
    if (node.type === 'Property' && !node.computed && isNode(node.value)) {
      const value = node.value;
      const at = path ? `${path}.${keyName(node.key)}` : keyName(node.key);
      if (value.type === 'Literal' && typeof value.value === 'string') out.push({ node: value, text: value.value, path: at });
      else if (value.type === 'TemplateLiteral') {
        const quasis = value.quasis as Array<{ value: { cooked: string } }>;
        if ((value.expressions as unknown[]).length > 0) throw new Error(`${at}: a message is a plain string, not a template with expressions`);
        out.push({ node: value, text: quasis[0].value.cooked, path: at });
      } else visit(value, at);
      return;
    }
    const named = node.type === 'VariableDeclarator' && isNode(node.id) && node.id.type === 'Identifier' ? String(node.id.name) : path;
    for (const [field, child] of Object.entries(node)) {
      if (field === 'type' || field === 'start' || field === 'end') continue;
      if (Array.isArray(child)) child.filter(isNode).forEach((c) => visit(c, named));
      else if (isNode(child)) visit(child, named);
    }
  };
  visit(program, '');
  return out;
}

export interface PrecompileMessagesOptions {
  /** The catalogue modules, as absolute paths. */
  files: string[];
}

/** The Vite plugin: each catalogue's strings replaced by their message functions. */
export function precompileMessages(opts: PrecompileMessagesOptions): Plugin {
  const files = new Set(opts.files);
  return {
    name: 'appel:precompile-messages',
    // After the TypeScript is stripped: the catalogue is plain JavaScript by then.
    enforce: 'post',
    transform(code, id) {
      if (!files.has(id.split('?')[0])) return null;
      const found = messageStrings(this.parse(code) as unknown as EsNode);
      let out = code;
      // From the end, so the offsets before each edit still hold.
      for (const { node, text, path } of found.sort((a, b) => b.node.start - a.node.start)) {
        if (!MESSAGE_SYNTAX.test(text)) continue; // plain text: left as it is
        let fn: string;
        try {
          fn = compileMessage(text);
        } catch (err) {
          this.error(`${id}: the message ${path} (${JSON.stringify(text)}) does not compile: ${(err as Error).message}`);
        }
        out = out.slice(0, node.start) + fn + out.slice(node.end);
      }
      return { code: out, map: null };
    },
  };
}
