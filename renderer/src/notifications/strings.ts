// Desktop notification strings in every language the app speaks, kept beside the feature so it can
// grow without touching the chat's message files. {name} marks a parameter.
import { translator } from '../i18n/index.svelte.ts';

const en = {
  'notify.mention': '{sender} mentioned you in {room}',
  'notify.encrypted': 'Encrypted message',
  'notify.attachment': 'Sent a file',
  'notify.invite': '{sender} invited you',
  'notify.other': 'New activity',

  'permission.ask': 'Get a notice on this computer when a message arrives?',
  'permission.allow': 'Turn on notices',
  'permission.later': 'Not now',

  'account.label': 'Notices for new messages',
  'account.all': 'All messages',
  'account.mentions': 'Only when someone mentions me',
  'account.off': 'Off (also on my phone)',
  'account.hint': 'This applies to all your devices, phones too.',

  'room.label': 'Notices for this chat',
  'room.all': 'All messages',
  'room.mentions': 'Only mentions',
  'room.muted': 'Muted',
  'room.saved': 'Saved.',
  'room.failed': 'Could not change notices: {detail}',
};

export type NotifyMessageKey = keyof typeof en;

const zhCN: Record<NotifyMessageKey, string> = {
  'notify.mention': '{sender} 在 {room} 中提到了你',
  'notify.encrypted': '加密消息',
  'notify.attachment': '发送了一个文件',
  'notify.invite': '{sender} 邀请了你',
  'notify.other': '有新动态',

  'permission.ask': '有新消息时在这台电脑上提醒你吗？',
  'permission.allow': '开启提醒',
  'permission.later': '以后再说',

  'account.label': '新消息提醒',
  'account.all': '所有消息',
  'account.mentions': '仅在有人提到我时',
  'account.off': '关闭（手机上也关闭）',
  'account.hint': '此设置适用于你的所有设备，包括手机。',

  'room.label': '此聊天的提醒',
  'room.all': '所有消息',
  'room.mentions': '仅提到我时',
  'room.muted': '静音',
  'room.saved': '已保存。',
  'room.failed': '无法更改提醒：{detail}',
};

const TABLES: Record<string, Record<NotifyMessageKey, string>> = { en, 'zh-CN': zhCN };

/** Translates a notification key in the app's current language, filling {placeholders}. Reactive. */
export const nt = translator<NotifyMessageKey>(TABLES, en);
