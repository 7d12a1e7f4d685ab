export * from './message/index.ts';
