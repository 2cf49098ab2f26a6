/**
 * The offline view's words, in English and Thai: the banner, the live indicator's state and the board without a
 * saved copy. The same rules as i18n.ts: `en` is the list of keys, `th` must have exactly the same ones (a type
 * error otherwise), and `{name}` is filled from the values passed.
 */
import { useMemo } from 'preact/hooks';
import { fill, type Lang, useI18n, type Vars } from './i18n.js';

const en = {
  'offline.banner.board': 'Offline — showing the board as of {time}, actions unavailable. The app reconnects by itself.',
  'offline.banner': 'Offline — actions unavailable. The app reconnects by itself; the orders board shows the last board loaded.',
  'offline.live': 'Offline',
  'offline.noSnapshot': 'No board of store {store} is saved on this tablet for you. It shows once the connection is back.',
  'offline.unavailable': 'Not available offline',
};

export type OfflineMessageKey = keyof typeof en;

const th: Readonly<Record<OfflineMessageKey, string>> = {
  'offline.banner.board': 'ออฟไลน์ — แสดงกระดานคำสั่งซื้อ ณ เวลา {time} ใช้งานคำสั่งต่าง ๆ ไม่ได้ ระบบจะเชื่อมต่อใหม่เอง',
  'offline.banner': 'ออฟไลน์ — ใช้งานคำสั่งต่าง ๆ ไม่ได้ ระบบจะเชื่อมต่อใหม่เอง กระดานคำสั่งซื้อแสดงข้อมูลล่าสุดที่โหลดไว้',
  'offline.live': 'ออฟไลน์',
  'offline.noSnapshot': 'ไม่มีกระดานของสาขา {store} ที่บันทึกไว้ในแท็บเล็ตนี้สำหรับคุณ จะแสดงเมื่อเชื่อมต่อได้อีกครั้ง',
  'offline.unavailable': 'ใช้ไม่ได้ขณะออฟไลน์',
};

const dictionaries: Readonly<Record<Lang, Readonly<Record<OfflineMessageKey, string>>>> = { en, th };

export const offlineText = (lang: Lang, key: OfflineMessageKey, vars?: Vars): string => fill(dictionaries[lang][key], vars);

/** The offline words in the language the app shows. */
export function useOfflineI18n(): (key: OfflineMessageKey, vars?: Vars) => string {
  const { lang } = useI18n();
  return useMemo(() => (key: OfflineMessageKey, vars?: Vars) => offlineText(lang, key, vars), [lang]);
}
