// 简体中文. Keys must match en.ts exactly (the type checks it).
import type { Messages } from './en.ts';

export const zhCN: Messages = {
  'app.name': 'Meowtrix',
  'app.tagline': '在家里，用自己的网络聊天',
  'app.loading': '正在加载…',

  'language.label': '语言',
};
