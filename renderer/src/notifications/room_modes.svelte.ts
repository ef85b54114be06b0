// Each chat's notice level for the room list, re-read when my push rules change (one listener for
// the whole list). Given to the components below the chat view through a Svelte context.
import { getContext, setContext } from 'svelte';
import { ClientEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { roomNotifyMode, type RoomNotifyMode } from './rules.ts';

export class RoomModes {
  #version = $state(0);
  readonly #client: MatrixClient;
  readonly #onAccountData = (ev: MatrixEvent) => {
    if (ev.getType() === 'm.push_rules') this.#version++;
  };

  constructor(client: MatrixClient) {
    this.#client = client;
    client.on(ClientEvent.AccountData, this.#onAccountData);
  }

  stop(): void {
    this.#client.off(ClientEvent.AccountData, this.#onAccountData);
  }

  /** Reactive: re-evaluated in templates when the push rules change. */
  mode(roomId: string): RoomNotifyMode {
    void this.#version;
    return roomNotifyMode(this.#client, roomId);
  }
}

const KEY = Symbol('room-modes');

export function provideRoomModes(modes: RoomModes): void {
  setContext(KEY, modes);
}

export function useRoomModes(): RoomModes | null {
  return getContext<RoomModes | undefined>(KEY) ?? null;
}
