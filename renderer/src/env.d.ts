declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

/** vue-i18n's flag, set by vite.config.ts's `define` in the built page (undefined in the tests). */
declare const __INTLIFY_DROP_MESSAGE_COMPILER__: boolean | undefined;
