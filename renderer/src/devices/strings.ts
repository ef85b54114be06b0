// Strings for sessions, signing out and the "you were signed out" reasons, in every language the app
// speaks, kept beside the feature. {name} marks a parameter. Plain words: "session", not "device ID".
import { currentLocale, translator } from '../i18n/index.svelte.ts';

const en = {
  'sessions.open': 'Sessions',
  'sessions.title': 'Your sessions',
  'sessions.intro': 'Every place where you are signed in: this computer, phones, other browsers.',
  'sessions.loading': 'Loading sessions…',
  'sessions.loadFailed': 'Could not load your sessions: {detail}',
  'sessions.current': 'This session',
  'sessions.verified': 'Verified',
  'sessions.unverified': 'Not verified',
  'sessions.lastSeen': 'Last active {when}',
  'sessions.lastSeenFrom': 'Last active {when} from {ip}',
  'sessions.neverSeen': 'No activity recorded',
  'sessions.rename': 'Rename',
  'sessions.renameLabel': 'Name of this session',
  'sessions.save': 'Save',
  'sessions.cancel': 'Cancel',
  'sessions.signOut': 'Sign out',
  'sessions.signOutOthers': 'Sign out all other sessions',
  'sessions.confirmTitle': 'Sign out {name}?',
  'sessions.confirmManyTitle': 'Sign out {count} sessions?',
  'sessions.passwordPrompt': 'To confirm it is you, enter your password.',
  'sessions.password': 'Password',
  'sessions.wrongPassword': 'That password is not right. Try again.',
  'sessions.failed': 'Something went wrong: {detail}',
  'sessions.unsupported': 'This server asks for a kind of confirmation this app cannot give. Sign out from another app.',
  'sessions.close': 'Close',
  'sessions.technical': 'Session ID: {id}',

  'newSession.banner': 'A new session signed in to your account: {name}. If it was not you, sign it out.',
  'newSession.review': 'Review sessions',
  'newSession.dismiss': 'It was me',

  'signOut.warnTitle': 'Sign out without a backup?',
  'signOut.warn': 'You may lose access to your encrypted messages. Secure backup is not set up, so after signing out this computer cannot read your encrypted chats again unless another of your sessions still can.',
  'signOut.anyway': 'Sign out anyway',
  'signOut.cancel': 'Stay signed in',

  'ended.revoked': 'You were signed out from another session. Log in again to continue.',
  'ended.expired': 'Your session expired. Log in again to continue.',
};

export type DeviceMessageKey = keyof typeof en;

const zhCN: Record<DeviceMessageKey, string> = {
  'sessions.open': '会话',
  'sessions.title': '你的会话',
  'sessions.intro': '你登录过的所有地方：这台电脑、手机、其他浏览器。',
  'sessions.loading': '正在加载会话…',
  'sessions.loadFailed': '无法加载你的会话：{detail}',
  'sessions.current': '当前会话',
  'sessions.verified': '已验证',
  'sessions.unverified': '未验证',
  'sessions.lastSeen': '最近活动：{when}',
  'sessions.lastSeenFrom': '最近活动：{when}，来自 {ip}',
  'sessions.neverSeen': '没有活动记录',
  'sessions.rename': '重命名',
  'sessions.renameLabel': '此会话的名称',
  'sessions.save': '保存',
  'sessions.cancel': '取消',
  'sessions.signOut': '退出登录',
  'sessions.signOutOthers': '退出所有其他会话',
  'sessions.confirmTitle': '让 {name} 退出登录？',
  'sessions.confirmManyTitle': '让 {count} 个会话退出登录？',
  'sessions.passwordPrompt': '为确认是你本人，请输入密码。',
  'sessions.password': '密码',
  'sessions.wrongPassword': '密码不正确，请重试。',
  'sessions.failed': '出错了：{detail}',
  'sessions.unsupported': '此服务器要求的确认方式本应用无法提供。请在其他应用中退出。',
  'sessions.close': '关闭',
  'sessions.technical': '会话标识：{id}',

  'newSession.banner': '有新的会话登录了你的账户：{name}。如果不是你，请让它退出登录。',
  'newSession.review': '查看会话',
  'newSession.dismiss': '是我本人',

  'signOut.warnTitle': '没有备份，仍要退出吗？',
  'signOut.warn': '你可能无法再查看加密消息。尚未设置安全备份，退出后这台电脑将无法再读取你的加密聊天，除非你的其他会话仍然可以。',
  'signOut.anyway': '仍然退出',
  'signOut.cancel': '保持登录',

  'ended.revoked': '你已在另一个会话中被退出登录。请重新登录以继续。',
  'ended.expired': '你的会话已过期。请重新登录以继续。',
};

const TABLES: Record<string, Record<DeviceMessageKey, string>> = { en, 'zh-CN': zhCN };

/** Translates a sessions key in the app's current language, filling {placeholders}. Reactive. */
export const dt = translator<DeviceMessageKey>(TABLES, en);

/** A time as the reader's language writes it. */
export function formatWhen(ts: number): string {
  return new Date(ts).toLocaleString(currentLocale(), { dateStyle: 'medium', timeStyle: 'short' });
}
