/// <reference lib="dom" />
/*
 * The connection of an IndexedDB storage: opened with every declared store (adding the missing ones by a version
 * bump, raced by other tabs), let go when another tab upgrades or deletes the database, and the queue that runs
 * the storage's calls one after another on it.
 */
import { wrap } from 'idb';
import { StorageError } from '../../src/errors/index.js';
import { closedError } from '../../src/storage/batch.js';
import { asStorageError, LABEL, noop, type IdbContext } from './context.js';
import type { Database, RecordStore } from './schema.js';

/** Upgrades raced by other tabs are retried this many times before opening fails. */
const OPEN_ATTEMPTS = 5;

/** The object stores the layout needs that `database` lacks. */
function missing(ctx: IdbContext, database: Database): string[] {
  return ctx.required.filter((store) => !database.objectStoreNames.contains(store as RecordStore));
}

/** Opens `name` at `version` (current when undefined), creating any declared store that is missing. */
function openAt(ctx: IdbContext, version: number | undefined): Promise<Database> {
  const { factory, name, required } = ctx;
  return new Promise<Database>((resolve, reject) => {
    const request = version === undefined ? factory.open(name) : factory.open(name, version);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let gaveUp = false;
    // Runs for a new database (version 1) and for our own version bumps: only ever adds stores, so
    // data written by other layouts or older releases stays.
    request.addEventListener('upgradeneeded', () => {
      const database = request.result;
      for (const store of required) if (!database.objectStoreNames.contains(store)) database.createObjectStore(store);
    });
    request.addEventListener('blocked', () => {
      timer ??= setTimeout(() => {
        gaveUp = true;
        reject(
          new StorageError('STORAGE_FAILED', {
            message: `${LABEL.en}: adding stores to "${name}" is blocked by another tab or window that keeps an older version open; close it and try again`,
            messageZh: `${LABEL.zh}：升级数据库“${name}”被另一个仍打开旧版本的标签页或窗口阻止，请关闭后重试`,
          }),
        );
      }, ctx.blockedTimeoutMs);
    });
    (wrap(request) as Promise<Database>).then(
      (opened) => {
        clearTimeout(timer);
        // Opened after we gave up: nobody will use this connection, so it must not block anyone.
        if (gaveUp) opened.close();
        else resolve(opened);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Opens the database with every declared store: at its current version when that has them all, else at
 * the next version, which creates the missing ones. Another tab may upgrade at the same moment, so the
 * result is checked again and the bump retried a few times.
 */
async function connect(ctx: IdbContext): Promise<Database> {
  for (let attempt = 1; attempt <= OPEN_ATTEMPTS; attempt++) {
    let opened = await openAt(ctx, undefined);
    if (missing(ctx, opened).length > 0) {
      const next = opened.version + 1;
      opened.close();
      try {
        opened = await openAt(ctx, next);
      } catch (error) {
        // Someone else upgraded past `next` first: start again from their version.
        if ((error as { name?: unknown }).name === 'VersionError') continue;
        throw error;
      }
      if (missing(ctx, opened).length > 0) {
        opened.close();
        continue;
      }
    }
    return watch(ctx, opened);
  }
  throw new StorageError('STORAGE_FAILED', {
    message: `${LABEL.en}: could not add the missing stores to "${ctx.name}": other tabs kept upgrading it`,
    messageZh: `${LABEL.zh}：无法为数据库“${ctx.name}”补建数据表：其他标签页在不断升级它`,
  });
}

/**
 * Lets other tabs upgrade or delete the database: on `versionchange` this connection closes at once (its
 * running transaction still completes), and the next call reopens at the new version; when the database
 * was deleted, or the browser closed the connection (storage cleared, disk failure), later calls fail with
 * STORAGE_FAILED instead of silently starting over with empty stores.
 */
function watch(ctx: IdbContext, opened: Database): Database {
  const { name } = ctx;
  opened.addEventListener('versionchange', (event) => {
    opened.close();
    if (ctx.db !== opened) return;
    ctx.db = undefined;
    if (event.newVersion === null) {
      ctx.lost = new StorageError('STORAGE_FAILED', {
        message: `${LABEL.en}: the database "${name}" was deleted by another tab or window; open the storage again`,
        messageZh: `${LABEL.zh}：数据库“${name}”已被另一个标签页或窗口删除，请重新打开存储`,
      });
    }
  });
  opened.addEventListener('close', () => {
    if (ctx.db !== opened) return;
    ctx.db = undefined;
    ctx.lost = new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: the browser closed the database "${name}" (storage cleared or failing); open the storage again`,
      messageZh: `${LABEL.zh}：浏览器关闭了数据库“${name}”（存储被清除或出错），请重新打开存储`,
    });
  });
  ctx.db = opened;
  return opened;
}

/** Runs `task` after every call made before it, on an open connection; rejects only with our errors. */
export function enqueue<T>(ctx: IdbContext, what: string, task: (database: Database) => Promise<T>): Promise<T> {
  if (ctx.closed) return Promise.reject(closedError(what, LABEL));
  const run = ctx.tail.then(async () => {
    try {
      if (ctx.lost !== undefined) throw ctx.lost;
      return await task(ctx.db ?? (await connect(ctx)));
    } catch (error) {
      throw asStorageError(error, what);
    }
  });
  ctx.tail = run.then(noop, noop);
  return run;
}

/** Closes the storage: calls made before still complete; the connection closes after them. */
export function closeStorage(ctx: IdbContext): Promise<void> {
  if (!ctx.closed) {
    ctx.closed = true;
    // Calls made before close() still complete; the connection closes after them.
    ctx.closing = ctx.tail.then(() => {
      ctx.db?.close();
      ctx.db = undefined;
    });
  }
  return ctx.closing as Promise<void>;
}
