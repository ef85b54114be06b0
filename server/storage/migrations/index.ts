// The schema, as numbered migrations, one file each. Append; never edit a released one.
import type { Migration } from '../types.ts';
import { migration as m001 } from './001_meta.ts';
import { migration as m002 } from './002_accounts.ts';
import { migration as m003 } from './003_rooms.ts';
import { migration as m004 } from './004_e2ee.ts';
import { migration as m005 } from './005_media.ts';
import { migration as m006 } from './006_userdata.ts';
import { migration as m007 } from './007_directory_search_push.ts';
import { migration as m008 } from './008_push_actions_per_event.ts';
import { migration as m009 } from './009_push_silences.ts';

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009];
