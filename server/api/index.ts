// Every spec area's routes, in one list. Adding an area adds one line here.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import * as health from './health.ts';
import * as versions from './versions.ts';
import * as wellKnown from './well_known.ts';

interface ApiArea {
  register(routes: RouteTable, ctx: ServerContext): void;
}

const AREAS: ApiArea[] = [health, versions, wellKnown];

export function registerAll(routes: RouteTable, ctx: ServerContext): void {
  for (const area of AREAS) area.register(routes, ctx);
}
