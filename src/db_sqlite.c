/*
 * db_sqlite - the sqlite storage backend (the embedded default): one
 * database file in WAL mode, writers one at a time (BEGIN IMMEDIATE),
 * its schema's migrations, the archive's FTS5 index (with fts.c's
 * tokenizer), checkpoints, erasure and online backups.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_backend.h"
#include "db_sqlite.h"
#include "db_sqlite_vfs.h"
#include "kith/log.h"
#include "kith/util.h"

#define DB_WAL_PAGES 1000	/* checkpoint (lite_wal_hook) past this */
#define KEPT_WAL_PAGES 500	/* db_keep_wal's (keep_wal_hook): see there */

struct lite {
	struct db base;
	sqlite3 *h;
	int busy_ms;
	/* db_checkpoint_hook's */
	void (*ckpt_fn)(void *, int);
	void *ckpt_ctx;
};

struct lite_stmt {
	struct db_stmt base;
	sqlite3_stmt *h;
};

/* the connection and statement behind the front's */
#define L(db) ((struct lite *)(db))
#define S(st) (((struct lite_stmt *)(st))->h)

/*
 * Migrations, applied in order inside one BEGIN IMMEDIATE; user_version
 * records how many ran.  Never edit a shipped step: add a new one.
 */
static const char *const migrations[] = {
	/* 1: lists, members, archive, outbox, quarantine */
	"CREATE TABLE lists ("
	"  id INTEGER PRIMARY KEY,"
	"  address TEXT NOT NULL UNIQUE,"
	"  local TEXT NOT NULL,"
	"  domain TEXT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  description TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE list_settings ("
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL, value TEXT NOT NULL,"
	"  PRIMARY KEY (list_id, key));"
	"CREATE TABLE members ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  role TEXT NOT NULL DEFAULT 'member',"
	"  mode TEXT NOT NULL DEFAULT 'each',"
	"  joined INTEGER NOT NULL,"
	"  UNIQUE (list_id, address));"
	"CREATE TABLE posts ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  num INTEGER NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  in_reply_to TEXT NOT NULL DEFAULT '',"
	"  thread_id INTEGER,"
	"  sender TEXT NOT NULL DEFAULT '',"
	"  sender_name TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  date INTEGER NOT NULL,"
	"  received INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  archived INTEGER NOT NULL DEFAULT 1,"
	"  raw BLOB NOT NULL,"
	"  body TEXT NOT NULL DEFAULT '',"
	"  UNIQUE (list_id, message_id), UNIQUE (list_id, num));"
	"CREATE INDEX posts_thread ON posts(thread_id);"
	"CREATE VIRTUAL TABLE posts_fts USING fts5(subject, body,"
	"  content='posts', content_rowid='id',"
	"  tokenize='unicode61 remove_diacritics 2');"
	"CREATE TRIGGER posts_ai AFTER INSERT ON posts WHEN new.archived BEGIN"
	"  INSERT INTO posts_fts(rowid, subject, body)"
	"  VALUES (new.id, new.subject, new.body); END;"
	"CREATE TRIGGER posts_ad AFTER DELETE ON posts WHEN old.archived BEGIN"
	"  INSERT INTO posts_fts(posts_fts, rowid, subject, body)"
	"  VALUES ('delete', old.id, old.subject, old.body); END;"
	"CREATE TABLE outbox_messages ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER REFERENCES lists(id) ON DELETE SET NULL,"
	"  post_id INTEGER REFERENCES posts(id) ON DELETE SET NULL,"
	"  kind TEXT NOT NULL,"
	"  bounce_local TEXT NOT NULL,"
	"  domain TEXT NOT NULL,"
	"  data BLOB NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES outbox_messages(id)"
	"    ON DELETE CASCADE,"
	"  rcpt TEXT NOT NULL,"
	"  member_id INTEGER,"
	"  state TEXT NOT NULL DEFAULT 'pending',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_try INTEGER NOT NULL DEFAULT 0,"
	"  lease_until INTEGER NOT NULL DEFAULT 0,"
	"  last_code INTEGER NOT NULL DEFAULT 0,"
	"  last_text TEXT NOT NULL DEFAULT '',"
	"  updated INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (message_id, rcpt));"
	"CREATE INDEX outbox_due ON outbox(state, next_try);"
	"CREATE TABLE quarantine ("
	"  id INTEGER PRIMARY KEY,"
	"  received INTEGER NOT NULL,"
	"  envelope_from TEXT NOT NULL DEFAULT '',"
	"  envelope_to TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL,"
	"  raw BLOB NOT NULL);"
	"CREATE TABLE bounces_in ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER REFERENCES lists(id) ON DELETE CASCADE,"
	"  token TEXT NOT NULL DEFAULT '',"
	"  received INTEGER NOT NULL,"
	"  raw BLOB NOT NULL);",
	/* 2: claims walk each state in id order without scanning sent rows */
	"CREATE INDEX IF NOT EXISTS outbox_state_id ON outbox(state, id);",
	/* 3: membership by email, moderation, bans */
	"ALTER TABLE members ADD COLUMN moderated INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE members ADD COLUMN posts INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE members ADD COLUMN nomail_until INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE pending ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"		/* confirm | approve | invite */
	"  address TEXT NOT NULL,"	/* whose confirmation it is */
	"  name TEXT NOT NULL DEFAULT '',"
	"  commands TEXT NOT NULL DEFAULT '',"	/* what a confirm carries out */
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL);"
	"CREATE INDEX pending_addr ON pending(list_id, address);"
	"CREATE TABLE confirm_log ("
	"  list_id INTEGER NOT NULL, address TEXT NOT NULL, sent INTEGER NOT NULL);"
	"CREATE INDEX confirm_log_addr ON confirm_log(list_id, address, sent);"
	"CREATE TABLE held ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  message_id TEXT NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  envelope_from TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL);"
	"CREATE TABLE bans ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER REFERENCES lists(id) ON DELETE CASCADE,"	/* NULL: site */
	"  pattern TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (list_id, pattern));"
	"CREATE TABLE notice_log ("
	"  list_id INTEGER NOT NULL, address TEXT NOT NULL, kind TEXT NOT NULL,"
	"  sent INTEGER NOT NULL, PRIMARY KEY (list_id, address, kind));"
	"CREATE TABLE member_events ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL, event TEXT NOT NULL, at INTEGER NOT NULL,"
	"  reported INTEGER NOT NULL DEFAULT 0);"
	/* the list whose per-recipient List-Unsubscribe a copy gets */
	"ALTER TABLE outbox_messages ADD COLUMN unsubscribe TEXT NOT NULL "
	"  DEFAULT '';",
	/* 4: digests */
	"ALTER TABLE members ADD COLUMN digest_format TEXT NOT NULL "
	"  DEFAULT 'mime';"
	"ALTER TABLE members ADD COLUMN digest_since INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE digests ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"		/* daily | weekly */
	"  volume INTEGER NOT NULL,"
	"  number INTEGER NOT NULL,"
	"  first_post INTEGER NOT NULL,"	/* post ids, inclusive */
	"  last_post INTEGER NOT NULL,"
	"  posts INTEGER NOT NULL,"
	"  recipients INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (list_id, number));"
	"CREATE TABLE digest_state ("
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"
	"  last_post INTEGER NOT NULL DEFAULT 0,"	/* in an issue already */
	"  last_slot INTEGER NOT NULL DEFAULT 0,"	/* schedule slot handled */
	"  PRIMARY KEY (list_id, kind));",
	/* 5: newsletters, tags, rates, bounces */
	"CREATE TABLE campaigns ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  subject TEXT NOT NULL,"
	"  text_body TEXT NOT NULL,"	/* template and body merged */
	"  html_body TEXT NOT NULL DEFAULT '',"
	"  template TEXT NOT NULL DEFAULT 'default',"
	"  tag TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL DEFAULT 'draft',"
	"  send_at INTEGER NOT NULL DEFAULT 0,"
	"  tz TEXT NOT NULL DEFAULT '',"
	"  message_id INTEGER,"		/* outbox_messages row once queued */
	"  recipients INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  started INTEGER NOT NULL DEFAULT 0,"
	"  finished INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX campaigns_due ON campaigns(state, send_at);"
	"CREATE TABLE member_tags ("
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  tag TEXT NOT NULL, PRIMARY KEY (member_id, tag));"
	"ALTER TABLE outbox_messages ADD COLUMN campaign_id INTEGER;"
	"CREATE TABLE throttle (scope TEXT PRIMARY KEY, tat INTEGER NOT NULL);"
	"ALTER TABLE members ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE bounces ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  member_id INTEGER REFERENCES members(id) ON DELETE SET NULL,"
	"  address TEXT NOT NULL,"
	"  outbox_id INTEGER,"		/* the copy that bounced, when known */
	"  message_id INTEGER,"		/* its outbox_messages row */
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"		/* hard | soft */
	"  status TEXT NOT NULL DEFAULT '',"
	"  diagnostic TEXT NOT NULL DEFAULT '',"
	"  score INTEGER NOT NULL,"	/* in halves: hard 2, soft 1 */
	"  cleared INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX bounces_member ON bounces(member_id, at);"
	"CREATE INDEX bounces_message ON bounces(message_id);",
	/* 6: events */
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  uid TEXT NOT NULL UNIQUE,"
	"  title TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  location TEXT NOT NULL DEFAULT '',"
	"  tz TEXT NOT NULL,"
	"  start INTEGER NOT NULL,"	/* UTC of the first occurrence */
	"  duration INTEGER NOT NULL,"
	"  rrule TEXT NOT NULL DEFAULT '',"
	"  capacity INTEGER NOT NULL DEFAULT 0,"
	"  remind TEXT NOT NULL DEFAULT '',"	/* seconds before, "86400s,3600s" */
	"  rsvp_by INTEGER NOT NULL DEFAULT 0,"
	"  sequence INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'active',"	/* active | cancelled */
	"  created INTEGER NOT NULL);"
	"CREATE TABLE event_exdates ("
	"  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
	"  occurrence INTEGER NOT NULL, PRIMARY KEY (event_id, occurrence));"
	"CREATE TABLE event_invites ("
	"  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL, sent INTEGER NOT NULL,"
	"  PRIMARY KEY (event_id, member_id));"
	"CREATE TABLE rsvps ("
	"  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
	"  occurrence INTEGER NOT NULL DEFAULT 0,"	/* 0: the whole series */
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  partstat TEXT NOT NULL,"
	"  sequence INTEGER NOT NULL DEFAULT 0,"
	"  dtstamp INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER NOT NULL,"
	"  waitlisted INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (event_id, occurrence, member_id));"
	"CREATE TABLE event_sent ("	/* reminders and nudges, exactly once */
	"  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
	"  occurrence INTEGER NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY (event_id, occurrence, kind));"
	"ALTER TABLE outbox_messages ADD COLUMN render TEXT NOT NULL DEFAULT '';",
	/* 7: polls, onboarding, the member history stats read */
	"CREATE TABLE polls ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  question TEXT NOT NULL,"
	"  options TEXT NOT NULL,"	/* one per line */
	"  multiple INTEGER NOT NULL DEFAULT 0,"
	"  closes INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'open',"
	"  created INTEGER NOT NULL,"
	"  closed INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE poll_votes ("
	"  poll_id INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,"
	"  member_id INTEGER NOT NULL,"
	"  address TEXT NOT NULL,"
	"  choices TEXT NOT NULL,"	/* "1,3" */
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (poll_id, member_id));"
	"CREATE TABLE poll_log ("	/* every vote, for votes over time */
	"  poll_id INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL, choices TEXT NOT NULL, at INTEGER NOT NULL);"
	"CREATE TABLE onboarding_steps ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  position INTEGER NOT NULL,"
	"  after INTEGER NOT NULL,"	/* seconds after joining / the previous step */
	"  template TEXT NOT NULL,"
	"  unless TEXT NOT NULL DEFAULT '',"	/* '' | posted | rsvped */
	"  created INTEGER NOT NULL);"
	"CREATE TABLE onboarding ("	/* each member's path; kept when they leave */
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  step_id INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL,"	/* sent | skipped | left */
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (list_id, address, step_id));"
	"CREATE TABLE member_log ("	/* joins and leaves by any path */
	"  list_id INTEGER NOT NULL,"
	"  address TEXT NOT NULL,"
	"  event TEXT NOT NULL,"	/* joined | left */
	"  at INTEGER NOT NULL);"
	"CREATE INDEX member_log_list ON member_log(list_id, at);"
	"INSERT INTO member_log(list_id, address, event, at)"
	"  SELECT list_id, address, 'joined', joined FROM members;"
	"CREATE TRIGGER members_joined AFTER INSERT ON members BEGIN"
	"  INSERT INTO member_log(list_id, address, event, at)"
	"  VALUES (new.list_id, new.address, 'joined', new.joined); END;"
	"CREATE TRIGGER members_left AFTER DELETE ON members BEGIN"
	"  INSERT INTO member_log(list_id, address, event, at)"
	"  VALUES (old.list_id, old.address, 'left', unixepoch()); END;"
	"ALTER TABLE members ADD COLUMN thanks INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE members ADD COLUMN nudged INTEGER NOT NULL DEFAULT 0;",
	/* 8: held-post ids are never reused (a moderator's token names one);
	 * what became of each held post, for late replies */
	"CREATE TABLE held_new ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  message_id TEXT NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  envelope_from TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL);"
	"INSERT INTO held_new SELECT id, list_id, message_id, sender,"
	"  envelope_from, subject, reason, raw, created, expires FROM held;"
	"DROP TABLE held;"
	"ALTER TABLE held_new RENAME TO held;"
	"CREATE TABLE held_log ("
	"  id INTEGER PRIMARY KEY,"	/* the held post's id */
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  message_id TEXT NOT NULL,"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  outcome TEXT NOT NULL,"	/* approved | rejected | discarded | expired */
	"  by TEXT NOT NULL DEFAULT '',"
	"  at INTEGER NOT NULL);",
	/*
	 * 9: who holds each claim (the claimant's journal name), so that the
	 * claims of a killed delivery are released as soon as its journal
	 * lock is free instead of after the whole lease
	 */
	"ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';",
	/*
	 * 10: indexes for the reports (stats, onboarding progress, the
	 * digest's thank-you): posts by time and by sender, a member's
	 * history, a member's RSVPs, a poll's votes over time.  Without
	 * them each figure scanned a whole table once per member or week.
	 */
	"CREATE INDEX posts_received ON posts(list_id, received, sender);"
	"CREATE INDEX posts_sender ON posts(list_id, sender, received);"
	"CREATE INDEX member_log_address ON member_log(list_id, address, event,"
	"  at);"
	"CREATE INDEX member_log_event ON member_log(list_id, event, at, address);"
	"CREATE INDEX rsvps_member ON rsvps(member_id, updated);"
	"CREATE INDEX poll_log_poll ON poll_log(poll_id, at);",
	/* 11: a list's owners and moderators without reading every member
	 * (each leave, join and held post looks them up; kith serve's
	 * one-click unsubscribe went from 8 ms to under 1 ms at 20,000) */
	"CREATE INDEX members_role ON members(list_id, role);",
	/* 12: one column says who renders each copy: render "KIND:KEY", KIND
	 * a feature's name (feature.h).  A newsletter's campaign_id becomes
	 * "newsletter:ID"; rows queued before the upgrade deliver as they
	 * would have. */
	"UPDATE outbox_messages SET render='newsletter:' || campaign_id"
	"  WHERE campaign_id IS NOT NULL AND render='';"
	"ALTER TABLE outbox_messages DROP COLUMN campaign_id;",
	/*
	 * 13: privacy (privacy.h, docs/PRIVACY.md).  forgotten: one row per
	 * address erased by `kith member forget`, kept only as an HMAC with
	 * the site secret, so that a later bounce or import is recognised
	 * without the address being kept.  posts_removed: what stands where
	 * a post was (`kith archive rm`, or forget --posts delete), so that
	 * its permalink says "removed by the list owners" and its id and
	 * number are never given to another post.
	 */
	"CREATE TABLE forgotten ("
	"  hash TEXT PRIMARY KEY,"	/* token_digest("forgotten", address) */
	"  at INTEGER NOT NULL,"
	"  posts TEXT NOT NULL,"	/* keep | anonymise | delete */
	"  banned TEXT NOT NULL DEFAULT '');"	/* ",0,3,": its bans (0 site) */
	"CREATE TABLE posts_removed ("
	"  id INTEGER PRIMARY KEY,"	/* the post's own id (its permalink) */
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  num INTEGER NOT NULL,"	/* its number in the list */
	"  message_id TEXT NOT NULL,"
	"  thread_id INTEGER,"
	"  date INTEGER NOT NULL,"	/* the post's own date */
	"  removed INTEGER NOT NULL,"	/* when it was removed */
	"  reason TEXT NOT NULL,"
	"  by TEXT NOT NULL DEFAULT '',"	/* the owner, or '' (command line) */
	"  UNIQUE (list_id, num));"
	/* a post rewritten (forget --posts anonymise) is searched as it is
	 * now, not as it was */
	"CREATE TRIGGER posts_au AFTER UPDATE OF subject, body, archived ON "
	"  posts BEGIN"
	"  INSERT INTO posts_fts(posts_fts, rowid, subject, body) SELECT"
	"  'delete', old.id, old.subject, old.body WHERE old.archived;"
	"  INSERT INTO posts_fts(rowid, subject, body) SELECT new.id,"
	"  new.subject, new.body WHERE new.archived; END;",
	/*
	 * 14: the web archive.  The word index is read with the "kith"
	 * tokenizer (fts.h: diacritics in every script, Chinese, Japanese
	 * and Korean by pairs of characters) and rebuilt from the posts;
	 * threads and months keep their counts so that no page counts a
	 * whole archive; parts lists each post's attachments ("TYPE\tSIZE
	 * \tNAME" lines; NULL for posts from before, read from the raw
	 * message when shown).  posts_au (13) is made again on the new
	 * index, as it was.  archive = on|off with archive_public =
	 * on|off becomes archive = public|members|off.
	 */
	"DROP TRIGGER posts_ai;"
	"DROP TRIGGER posts_ad;"
	"DROP TRIGGER posts_au;"
	"DROP TABLE posts_fts;"
	"CREATE VIRTUAL TABLE posts_fts USING fts5(subject, body,"
	"  content='posts', content_rowid='id', tokenize='kith');"
	"INSERT INTO posts_fts(rowid, subject, body)"
	"  SELECT id, subject, body FROM posts WHERE archived;"
	"CREATE TRIGGER posts_ai AFTER INSERT ON posts WHEN new.archived BEGIN"
	"  INSERT INTO posts_fts(rowid, subject, body)"
	"  VALUES (new.id, new.subject, new.body); END;"
	"CREATE TRIGGER posts_ad AFTER DELETE ON posts WHEN old.archived BEGIN"
	"  INSERT INTO posts_fts(posts_fts, rowid, subject, body)"
	"  VALUES ('delete', old.id, old.subject, old.body); END;"
	"CREATE TRIGGER posts_au AFTER UPDATE OF subject, body, archived ON "
	"  posts BEGIN"
	"  INSERT INTO posts_fts(posts_fts, rowid, subject, body) SELECT"
	"  'delete', old.id, old.subject, old.body WHERE old.archived;"
	"  INSERT INTO posts_fts(rowid, subject, body) SELECT new.id,"
	"  new.subject, new.body WHERE new.archived; END;"
	"ALTER TABLE posts ADD COLUMN parts TEXT;"
	"CREATE TABLE threads ("
	"  id INTEGER PRIMARY KEY,"	/* posts.thread_id */
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  first_post INTEGER NOT NULL,"	/* the earliest archived post */
	"  posts INTEGER NOT NULL,"
	"  started INTEGER NOT NULL,"	/* received, first and newest */
	"  last INTEGER NOT NULL);"
	"CREATE INDEX threads_last ON threads(list_id, last);"
	"CREATE INDEX threads_started ON threads(list_id, started);"
	"INSERT INTO threads(id, list_id, first_post, posts, started, last)"
	"  SELECT thread_id, list_id, (SELECT q.id FROM posts q WHERE"
	"  q.thread_id=p.thread_id AND q.archived ORDER BY q.received, q.id"
	"  LIMIT 1), count(*), min(received), max(received) FROM posts p"
	"  WHERE archived GROUP BY thread_id;"
	"CREATE TABLE archive_months ("
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  month INTEGER NOT NULL,"	/* YYYYMM of received, UTC */
	"  posts INTEGER NOT NULL,"
	"  PRIMARY KEY (list_id, month));"
	"INSERT INTO archive_months(list_id, month, posts)"
	"  SELECT list_id, CAST(strftime('%Y%m', received, 'unixepoch') AS"
	"  INTEGER), count(*) FROM posts WHERE archived GROUP BY 1, 2;"
	"CREATE TRIGGER posts_threads_ai AFTER INSERT ON posts"
	"  WHEN new.archived BEGIN"
	"  INSERT INTO threads(id, list_id, first_post, posts, started, last)"
	"  VALUES (new.thread_id, new.list_id, new.id, 1, new.received,"
	"  new.received) ON CONFLICT(id) DO UPDATE SET posts=posts+1,"
	"  first_post=CASE WHEN excluded.started<started THEN"
	"  excluded.first_post ELSE first_post END,"
	"  started=min(started, excluded.started),"
	"  last=max(last, excluded.last);"
	"  INSERT INTO archive_months(list_id, month, posts) VALUES"
	"  (new.list_id, CAST(strftime('%Y%m', new.received, 'unixepoch') AS"
	"  INTEGER), 1) ON CONFLICT(list_id, month) DO UPDATE SET"
	"  posts=posts+1; END;"
	"CREATE TRIGGER posts_threads_ad AFTER DELETE ON posts"
	"  WHEN old.archived BEGIN"
	"  UPDATE threads SET posts=posts-1, first_post=coalesce((SELECT q.id"
	"  FROM posts q WHERE q.thread_id=old.thread_id AND q.archived ORDER"
	"  BY q.received, q.id LIMIT 1), first_post), started=coalesce("
	"  (SELECT min(received) FROM posts WHERE thread_id=old.thread_id"
	"  AND archived), started), last=coalesce((SELECT max(received) FROM"
	"  posts WHERE thread_id=old.thread_id AND archived), last)"
	"  WHERE id=old.thread_id;"
	"  DELETE FROM threads WHERE id=old.thread_id AND posts<=0;"
	"  UPDATE archive_months SET posts=posts-1 WHERE list_id=old.list_id"
	"  AND month=CAST(strftime('%Y%m', old.received, 'unixepoch') AS"
	"  INTEGER);"
	"  DELETE FROM archive_months WHERE list_id=old.list_id AND"
	"  posts<=0; END;"
	"INSERT OR REPLACE INTO list_settings(list_id, key, value)"
	"  SELECT l.id, 'archive', CASE WHEN coalesce((SELECT value FROM"
	"  list_settings s WHERE s.list_id=l.id AND s.key='archive'), 'on')="
	"  'off' THEN 'off' WHEN (SELECT value FROM list_settings s WHERE"
	"  s.list_id=l.id AND s.key='archive_public')='on' THEN 'public'"
	"  ELSE 'members' END FROM lists l;"
	"DELETE FROM list_settings WHERE key='archive_public' OR"
	"  (key='archive' AND value='members');",
	/* 15 (deliverability, issue 17): DNS answers for DMARC policies and
	 * ARC keys, kept for their TTL (dns.h); records NUL-terminated in
	 * data.  IF NOT EXISTS: a database set back to an older version
	 * (test_feature's queue of schema 11) runs it again. */
	"CREATE TABLE IF NOT EXISTS dns_cache ("
	"  name TEXT NOT NULL,"
	"  rrtype INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"	/* found | none */
	"  data BLOB NOT NULL,"
	"  fetched INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  PRIMARY KEY (name, rrtype));",
	/*
	 * 16: languages (issue 13).  A member's own language ('' : the
	 * list's setting `language`, else en); notice_lang() reads it.
	 */
	"ALTER TABLE members ADD COLUMN lang TEXT NOT NULL DEFAULT '';",
	/*
	 * 17: the word index of a group commit (db_group_begin) is written
	 * once, at the group's end.  FTS5 writes what it holds as a new
	 * segment at every savepoint, and each message of a group is one:
	 * one segment (and its merging) per post was 13% of the LMTP
	 * committer.  While the group is open, posts_fts_queue holds the
	 * row 0, and the triggers queue archived posts' ids there instead
	 * of indexing them; db_group_commit indexes the queued posts in
	 * one statement and empties the queue in the same transaction, so
	 * that no commit holds a post that search cannot find.  Outside a
	 * group (the queue empty) they index at once, as before.  IF NOT
	 * EXISTS: a database set back to an older version runs it again.
	 */
	"CREATE TABLE IF NOT EXISTS posts_fts_queue (id INTEGER PRIMARY KEY);"
	"DROP TRIGGER IF EXISTS posts_ai;"
	"DROP TRIGGER IF EXISTS posts_ad;"
	"DROP TRIGGER IF EXISTS posts_au;"
	"CREATE TRIGGER posts_ai AFTER INSERT ON posts WHEN new.archived BEGIN"
	"  INSERT INTO posts_fts(rowid, subject, body) SELECT new.id,"
	"  new.subject, new.body WHERE NOT EXISTS (SELECT 1 FROM"
	"  posts_fts_queue WHERE id=0);"
	"  INSERT INTO posts_fts_queue(id) SELECT new.id WHERE EXISTS"
	"  (SELECT 1 FROM posts_fts_queue WHERE id=0); END;"
	/* a queued post is in no index yet: it leaves the queue instead */
	"CREATE TRIGGER posts_ad AFTER DELETE ON posts WHEN old.archived BEGIN"
	"  INSERT INTO posts_fts(posts_fts, rowid, subject, body) SELECT"
	"  'delete', old.id, old.subject, old.body WHERE NOT EXISTS (SELECT 1"
	"  FROM posts_fts_queue WHERE id=old.id);"
	"  DELETE FROM posts_fts_queue WHERE id=old.id; END;"
	"CREATE TRIGGER posts_au AFTER UPDATE OF subject, body, archived ON "
	"  posts BEGIN"
	"  INSERT INTO posts_fts(posts_fts, rowid, subject, body) SELECT"
	"  'delete', old.id, old.subject, old.body WHERE old.archived AND NOT"
	"  EXISTS (SELECT 1 FROM posts_fts_queue WHERE id=old.id);"
	"  DELETE FROM posts_fts_queue WHERE id=old.id;"
	"  INSERT INTO posts_fts(rowid, subject, body) SELECT new.id,"
	"  new.subject, new.body WHERE new.archived AND NOT EXISTS (SELECT 1"
	"  FROM posts_fts_queue WHERE id=0);"
	"  INSERT INTO posts_fts_queue(id) SELECT new.id WHERE new.archived"
	"  AND EXISTS (SELECT 1 FROM posts_fts_queue WHERE id=0); END;",
	/*
	 * 18: a leave deletes the member's row, and sqlite checks every
	 * foreign key to members(id) as it does; event_invites' key
	 * leads with event_id, so each leave read all the invitations
	 * ever sent.  IF NOT EXISTS: a database set back to an older
	 * version runs it again.
	 */
	"CREATE INDEX IF NOT EXISTS event_invites_member ON "
	"  event_invites(member_id);",
	/*
	 * 19: ids, in insertion order, for the two tables whose rows were
	 * told apart by sqlite's rowid, which PostgreSQL has no twin of:
	 * the waitlist's tie-break (event_rsvp.c) and a forgotten vote's
	 * stand-in member id, -id (privacy.c).  A column added by ALTER
	 * TABLE cannot be the key: each new row takes its rowid as its id
	 * (the trigger), and the rows there are take theirs now.  An upsert
	 * that updates keeps its row's id, as it kept its rowid.
	 */
	"ALTER TABLE rsvps ADD COLUMN id INTEGER NOT NULL DEFAULT 0;"
	"UPDATE rsvps SET id=rowid;"
	"CREATE TRIGGER rsvps_id AFTER INSERT ON rsvps BEGIN"
	"  UPDATE rsvps SET id=new.rowid WHERE rowid=new.rowid; END;"
	"ALTER TABLE poll_votes ADD COLUMN id INTEGER NOT NULL DEFAULT 0;"
	"UPDATE poll_votes SET id=rowid;"
	"CREATE TRIGGER poll_votes_id AFTER INSERT ON poll_votes BEGIN"
	"  UPDATE poll_votes SET id=new.rowid WHERE rowid=new.rowid; END;",
	/*
	 * 20: the delivery queue's indexes hold only the rows a claim looks
	 * for: new rows, retries, and the rows of killed runs by their
	 * lease.  A row's every change of state moved it between entries
	 * of both (state, ...) indexes, a sent row's included, and sent
	 * rows are most of the queue.  The claims name them (INDEXED BY);
	 * due_rows (deliver.c) counts through them.  IF EXISTS: a
	 * database set back to an older version runs it again.
	 */
	"DROP INDEX IF EXISTS outbox_due;"
	"DROP INDEX IF EXISTS outbox_state_id;"
	"CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(id)"
	"  WHERE state='pending';"
	"CREATE INDEX IF NOT EXISTS outbox_deferred ON outbox(id)"
	"  WHERE state='deferred';"
	"CREATE INDEX IF NOT EXISTS outbox_lease ON outbox(lease_until, id)"
	"  WHERE state='sending';"
	/* a post held once (moderation_hold_as looks for its Message-ID) */
	"CREATE INDEX IF NOT EXISTS held_message ON held(list_id, message_id);"
	"CREATE INDEX IF NOT EXISTS held_log_message ON held_log(list_id,"
	"  message_id);",
	/*
	 * 21: the owners and moderators index holds them only.  Every
	 * member had an entry, so each join, leave and import wrote one
	 * more page at a random place (a leave wrote 4.6 pages of WAL, 3.7
	 * now).  A query uses it when one of its terms is the index's
	 * condition or one side of it: role='owner', or (role='owner' OR
	 * role='moderator') as member_staff asks; not role IN (...).
	 */
	"DROP INDEX IF EXISTS members_role;"
	"CREATE INDEX IF NOT EXISTS members_staff ON members(list_id, role)"
	"  WHERE role='owner' OR role='moderator';",
	/*
	 * 22: the history's address index holds the joins only.  Every
	 * leave put an entry at a random place of member_log_address (one
	 * page of WAL in four, 3.7 a leave); the reports look joins up by
	 * address (the funnel, the onboarding walk) and find each join's
	 * leave in one ordered pass (stats.c's retention_part).
	 */
	"DROP INDEX IF EXISTS member_log_address;"
	"CREATE INDEX IF NOT EXISTS member_log_joins ON member_log(list_id,"
	"  address, event, at) WHERE event='joined';",
	/*
	 * 23: under load, LMTP's groups defer what a post's storing can
	 * leave for later (db_group_defer): the archived posts' words stay
	 * in posts_fts_queue after the commit (17), and the copies to the
	 * members wait here, one row a post, until post_catch_up makes them
	 * for many posts at once (the committer when it has nothing else to
	 * do or has deferred 512, a delivery before it counts what is due,
	 * kith cron).  A search may miss a post for that moment; a delivery
	 * never misses its copies.
	 */
	"CREATE TABLE IF NOT EXISTS outbox_fanout ("
	"  message_id INTEGER PRIMARY KEY REFERENCES outbox_messages(id)"
	"    ON DELETE CASCADE,"
	"  list_id INTEGER NOT NULL);",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(NMIGRATIONS == DB_SCHEMA_VERSION,
    "DB_SCHEMA_VERSION names the last migration");


_Static_assert(DB_OK == SQLITE_OK && DB_ERROR == SQLITE_ERROR &&
    DB_BUSY == SQLITE_BUSY && DB_ROW == SQLITE_ROW && DB_DONE ==
    SQLITE_DONE, "db.h's codes are sqlite's, passed through");
_Static_assert(DB_INTEGER == SQLITE_INTEGER && DB_FLOAT == SQLITE_FLOAT &&
    DB_TEXT == SQLITE_TEXT && DB_BLOB == SQLITE_BLOB && DB_NULL ==
    SQLITE_NULL, "db.h's column types are sqlite's");

/* 1 when rc says the file is damaged, or is no database at all. */
static int
lite_damaged(int rc)
{
	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

static int
lite_pragma(struct db *db, const char *sql, char *err, size_t errlen)
{
	int rc = sqlite3_exec(L(db)->h, sql, NULL, NULL, NULL);

	if (lite_damaged(rc)) {
		snprintf(err, errlen, "database '%s' is damaged (%s): see "
		    "\"WHEN THE DATABASE IS DAMAGED\" in kith(1)",
		    sqlite3_db_filename(L(db)->h, "main"),
		    sqlite3_errmsg(L(db)->h));
		return db_status(rc);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "database: %s: %s", sql,
		    sqlite3_errmsg(L(db)->h));
		return db_status(rc);
	}
	return KITH_OK;
}

static int
lite_schema_version(struct db *db)
{
	int st;
	int v = (int)db_int(db, -1, &st, "PRAGMA user_version", "");

	return st == KITH_OK ? v : -1;
}

static int
lite_file_schema_version(const char *path)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close_v2(h);
	return v;
}

/*
 * lite_file_integrity - sqlite's quick_check of the file at path (every
 * page, record and index entry well-formed; not that each index matches
 * its table, which integrity_check adds at many times the cost): 1 ok, 0
 * damaged with the first problem in problem, -1 when it cannot be read.
 */
static int
lite_file_integrity(const char *path, char *problem, size_t len)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int ok = -1, rc;

	snprintf(problem, len, "cannot be read");
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(h, "PRAGMA quick_check(1)", -1, &st,
	    NULL) != SQLITE_OK) {
		if (h && lite_damaged(sqlite3_errcode(h))) {
			snprintf(problem, len, "%s", sqlite3_errmsg(h));
			ok = 0;
		}
	} else if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		const char *nl;

		ok = r && !strcmp(r, "ok");
		/* "*** in database main ***\nOn tree page 17 ...\n...": the
		 * first problem, on one line */
		if (r && !strncmp(r, "*** ", 4) && (nl = strchr(r, '\n')))
			r = nl + 1;
		snprintf(problem, len, "%.*s", r ? (int)strcspn(r, "\n") : 7,
		    ok ? "" : r ? r : "damaged");
	} else if (lite_damaged(rc)) {
		snprintf(problem, len, "%s", sqlite3_errmsg(h));
		ok = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close_v2(h);
	return ok;
}

static int
lite_migrate_to(struct db *db, int target, char *err, size_t errlen)
{
	int version, st, rc;

	version = (int)db_int(db, 0, &st, "PRAGMA user_version", "");
	if (st != KITH_OK) {
		snprintf(err, errlen, "database: cannot read schema version: %s",
		    sqlite3_errmsg(L(db)->h));
		return st;
	}
	if (version > NMIGRATIONS) {
		snprintf(err, errlen, "database: schema version %d is newer "
		    "than this kith (%d); upgrade kith", version, NMIGRATIONS);
		return KITH_PERM;
	}
	if (target > NMIGRATIONS)
		target = NMIGRATIONS;
	if (version >= target)
		return KITH_OK;
	if ((st = db_begin(db)) != KITH_OK) {
		snprintf(err, errlen, "database: busy, cannot migrate");
		return st;
	}
	/* Another process may have migrated while we waited for the lock. */
	version = (int)db_int(db, 0, &st, "PRAGMA user_version", "");
	if (st != KITH_OK)
		snprintf(err, errlen, "database: cannot read schema version: "
		    "%s", sqlite3_errmsg(L(db)->h));
	for (int i = version; st == KITH_OK && i < target; i++) {
		char pragma[64];

		rc = sqlite3_exec(L(db)->h, migrations[i], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "database: migration %d: %s",
			    i + 1, sqlite3_errmsg(L(db)->h));
			db_rollback(db);
			return db_status(rc);
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", i + 1);
		st = lite_pragma(db, pragma, err, errlen);
	}
	if (st != KITH_OK) {
		db_rollback(db);
		return st;
	}
	if ((st = db_commit(db)) != KITH_OK)
		snprintf(err, errlen, "database: cannot commit the schema "
		    "migration (disk full?); try again");
	return st;
}

/*
 * share - in a shared data directory (util.h) the database and
 * sqlite's -wal and -shm files are the group's (0660): the MTA's user and
 * the cron user both write them.  sqlite gives -wal and -shm the mode of
 * the database when it creates them; this also repairs files made
 * before, whenever their owner opens the database.
 */
static void
share(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char *p = xasprintf("%s%s", path, suffix[i]);

		if (share_like_parent(p, 0660) < 0)
			log_warn("database: cannot give '%s' to the data "
			    "directory's group: %s", p, strerror(errno));
		free(p);
	}
}

/*
 * share_umask - in a shared data directory, nothing this process
 * creates may lack the group's bits even for a moment: another user's
 * process opening a -shm file that sqlite made 0640 before correcting it
 * to 0660 would fail (75).  So the umask keeps the group's bits.
 */
static void
share_umask(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	mode_t old;

	if (slash)
		*slash = '\0';
	if (dir_shared(slash ? dir : ".", NULL)) {
		old = umask(0);
		umask(old & ~(mode_t)070);
	}
	free(dir);
}

/*
 * lite_wal_hook - checkpoint once the WAL holds DB_WAL_PAGES pages, and
 * empty it (TRUNCATE), without waiting for anyone: busy, it copies what
 * it can and the next commit tries again.  Connections never checkpoint
 * when they close (lite_open): a `kith receive` per message would pay two
 * more fsyncs each time, and an emptied WAL costs the next process
 * nothing to read, where a full one left behind would be read again.
 */
static int
lite_wal_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	struct lite *db = arg;

	if (pages < DB_WAL_PAGES)
		return SQLITE_OK;
	sqlite3_busy_timeout(h, 0);
	sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_TRUNCATE, NULL,
	    NULL);
	sqlite3_busy_timeout(h, db->busy_ms);
	return SQLITE_OK;
}

/* scrub_mark - the file saying the WAL must be emptied; caller frees. */
static char *
scrub_mark(struct db *db)
{
	const char *path = sqlite3_db_filename(L(db)->h, "main");

	return path && *path ? xasprintf("%s-scrub", path) : NULL;
}

static void
lite_scrub_later(struct db *db)
{
	char *mark = scrub_mark(db);
	int fd = mark ? open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) : -1;

	if (fd < 0)
		log_warn("database: cannot mark the WAL for emptying: %s",
		    strerror(errno));
	else
		close(fd);
	free(mark);
}

/*
 * copy_wal - one checkpoint that never waits: PASSIVE, copying the WAL
 * and leaving it to be written over, or TRUNCATE, emptying it, when an
 * erasure waits for that (scrub_mark; done, the mark goes).  sqlite's
 * return code; nlog, ncopied as sqlite3_wal_checkpoint_v2's (or NULL).
 */
static int
copy_wal(struct lite *db, const char *name, int *nlog, int *ncopied)
{
	char *mark = scrub_mark(&db->base);
	int mode = SQLITE_CHECKPOINT_PASSIVE, rc;

	if (mark && access(mark, F_OK) == 0)
		mode = SQLITE_CHECKPOINT_TRUNCATE;
	sqlite3_busy_timeout(db->h, 0);
	rc = sqlite3_wal_checkpoint_v2(db->h, name, mode, nlog, ncopied);
	sqlite3_busy_timeout(db->h, db->busy_ms);
	if (mode == SQLITE_CHECKPOINT_TRUNCATE && rc == SQLITE_OK)
		unlink(mark);
	free(mark);
	return rc;
}

/*
 * keep_wal_hook - lite_wal_hook for db_keep_wal's connections: kith
 * serve's page thread, which answers nobody while it copies the WAL (two
 * fsyncs and the pages between).  Past 500 pages rather than 1,000 those
 * pauses are half as long and twice as often: in bench/serve_ab.sh's
 * turns the one-click POST's p99 at 100 connections fell from 19-22 ms
 * to 17-20 ms, for about 5% fewer requests a second (docs/BENCHMARKS.md).
 */
static int
keep_wal_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	(void)h;
	if (pages >= KEPT_WAL_PAGES)
		copy_wal(arg, name, NULL, NULL);
	return SQLITE_OK;
}

static void
lite_keep_wal(struct db *db, int busy_ms)
{
	L(db)->busy_ms = busy_ms;
	sqlite3_wal_hook(L(db)->h, keep_wal_hook, db);
	/* what a burst (an import) left is cut back when the WAL restarts */
	sqlite3_exec(L(db)->h, "PRAGMA journal_size_limit=16777216", NULL,
	    NULL, NULL);
	/*
	 * Each write of a group commit runs in its own savepoint, whose
	 * journal (the pages it touched, as they were) went to a temporary
	 * file past 64 KB: 13 pages, 26 pwrite(2)s, on every one-click
	 * leave.  Kept in memory instead (a few pages a request; sorts and
	 * temporary tables of this connection's reads with them).
	 */
	sqlite3_exec(L(db)->h, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	/*
	 * sqlite's 2 MB page cache held a small part of a large list's
	 * members and their index, so a leave read 1.6 pages back from the
	 * file (pread64 3.6 a leave at 80,000 members, 2.0 with 32 MB, the
	 * rest being the checkpoint's reads of the WAL).  At most 32 MB,
	 * one connection for all of kith serve's pages.
	 */
	sqlite3_exec(L(db)->h, "PRAGMA cache_size=-32768", NULL, NULL, NULL);
}

/* hook_wal - db_checkpoint_hook's sqlite side. */
static int
hook_wal(void *arg, sqlite3 *h, const char *name, int pages)
{
	struct lite *db = arg;

	(void)h;
	(void)name;
	db->ckpt_fn(db->ckpt_ctx, pages);
	return SQLITE_OK;
}

static void
lite_checkpoint_hook(struct db *db, void (*fn)(void *ctx, int pages),
    void *ctx)
{
	L(db)->ckpt_fn = fn;
	L(db)->ckpt_ctx = ctx;
	sqlite3_wal_hook(L(db)->h, hook_wal, db);
	/*
	 * This is the group committer's connection (kith serve's LMTP side),
	 * where every message is a savepoint.  Their journal (each page a
	 * message touches, as it was) went to a temporary file past 64 KB:
	 * 600 pwrite(2)s a commit.  And sqlite's 2 MB page cache was smaller
	 * than what a group touches (the FTS5 segments it merges, indexes,
	 * the members): 57 pread(2)s a message, the same pages read back at
	 * every commit.  The journal kept in memory and a 32 MB cache took
	 * the committer's CPU a message from 0.56-0.65 ms to 0.45-0.47 ms.
	 */
	sqlite3_exec(L(db)->h, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	/*
	 * sqlite's 2 MB page cache held a small part of a large list's
	 * members and their index, so a leave read 1.6 pages back from the
	 * file (pread64 3.6 a leave at 80,000 members, 2.0 with 32 MB, the
	 * rest being the checkpoint's reads of the WAL).  At most 32 MB,
	 * one connection for all of kith serve's pages.
	 */
	sqlite3_exec(L(db)->h, "PRAGMA cache_size=-32768", NULL, NULL, NULL);
	/*
	 * A commit's frames in one write (db_sqlite_vfs_batch): a group's
	 * commit wrote 100 to 300, a pwrite(2) each, 17% of the committer's
	 * time (perf).  That needs a connection that writes frames only in
	 * its commits: no spilling mid-transaction.  Its transactions are a
	 * group's posts, or a catch-up of deferred ones (2,200 pages for
	 * 4,000 posts), held in memory until they commit.
	 */
	sqlite3_exec(L(db)->h, "PRAGMA cache_spill=OFF", NULL, NULL, NULL);
	if (db_sqlite_vfs_batch(L(db)->h) < 0)
		log_info("database: the committer's WAL frames are written "
		    "one at a time (its WAL is not open)");
}

/*
 * lite_checkpoint_step - a checkpointer's (walsync's) copy_wal, then the
 * database synced: sqlite syncs it only when the copy reached the WAL's
 * end, which none does while a writer writes.
 */
static int
lite_checkpoint_step(struct db *db, int *done_to)
{
	int nlog = 0, ncopied = 0, rc = copy_wal(L(db), NULL, &nlog, &ncopied);
	sqlite3_file *f = NULL;

	*done_to = rc == SQLITE_OK ? ncopied : 0;
	if (rc == SQLITE_OK && ncopied > 0 && sqlite3_file_control(L(db)->h,
	    "main", SQLITE_FCNTL_FILE_POINTER, &f) == SQLITE_OK && f &&
	    f->pMethods && f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) !=
	    SQLITE_OK)
		log_warn("database: cannot sync the database after a "
		    "checkpoint");
	return rc == SQLITE_OK && ncopied < nlog ? nlog - ncopied : 0;
}

/*
 * lite_sync_later - commits of db no longer fsync the WAL (synchronous=
 * NORMAL: sqlite stays consistent across a power loss, and still syncs
 * the WAL before a checkpoint and the database after); the caller makes
 * them durable by an fdatasync of the WAL, the fd returned, before it
 * answers anyone (walsync).  The WAL stays while db is open (no
 * connection of Kith's removes it when it closes), so the fd stays good.
 */
static int
lite_sync_later(struct db *db)
{
	const char *path = sqlite3_db_filename(L(db)->h, "main");
	char *wal;
	int fd;

	if (path == NULL || *path == '\0')
		return -1;
	wal = xasprintf("%s-wal", path);
	fd = open(wal, O_RDONLY | O_CLOEXEC);
	free(wal);
	if (fd >= 0 && sqlite3_exec(L(db)->h, "PRAGMA synchronous=NORMAL",
	    NULL, NULL, NULL) != SQLITE_OK) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void
lite_checkpoint(struct db *db)
{
	sqlite3_wal_checkpoint_v2(L(db)->h, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
}

static int
lite_claims(const char *location)
{
	(void)location;
	return 1;	/* a path: the default */
}

/*
 * mentions - kith_mentions(hay, needle): 1 when hay (a raw message, a
 * BLOB, or text) holds needle (an address, lower case), the ASCII
 * letters of hay in either case: instr(lower(hay), needle) > 0, which
 * PostgreSQL has no twin of for bytes; db_pg_schema.c defines the same
 * function there, so that privacy.c writes its statements once.
 */
static void
mentions(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *h, *n;
	int hn, nn, found = 0;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[1]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	h = sqlite3_value_blob(argv[0]);
	hn = sqlite3_value_bytes(argv[0]);
	n = sqlite3_value_text(argv[1]);
	nn = sqlite3_value_bytes(argv[1]);
	for (int i = 0; h && n && i + nn <= hn && !found; i++) {
		int k = 0;

		while (k < nn && (h[i + k] >= 'A' && h[i + k] <= 'Z' ?
		    h[i + k] + 32 : h[i + k]) == n[k])
			k++;
		found = k == nn;
	}
	sqlite3_result_int(ctx, found);
}

static pthread_once_t lite_configured = PTHREAD_ONCE_INIT;

/* one connection's page cache: cache_size=-32768 (KB), pages of 4 KB */
#define LITE_CACHE_PAGES 8192

/*
 * lite_reserve_cache - before sqlite's first use in a process that stays
 * up: sqlite takes its cache's pages from one block reserved here and
 * touched now (MAP_POPULATE), instead of a malloc a page.  Those mallocs
 * grew the committer's heap 4 KB at a time, each grown page a page
 * fault when first written: 2.1 faults a message until the cache was
 * full, a sixth of the committer's time (perf).  (A write of another
 * connection makes sqlite drop its cache; pages in the block go back to
 * it, not to glibc, which may give them back to the system.)  Past the
 * block's 8,192 pages (about 35 MB, kith serve's resident size from the
 * start), sqlite mallocs as before.  Nothing happens once sqlite is in
 * use.
 */
static void
lite_reserve_cache(void)
{
	int hdr = 0;
	size_t slot, len;
	void *pool;

	if (sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &hdr) != SQLITE_OK)
		return;
	slot = (4096 + (size_t)hdr + 7) & ~(size_t)7;
	len = slot * LITE_CACHE_PAGES;
	pool = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (pool == MAP_FAILED) {
		log_info("sqlite: page cache not reserved: %s",
		    strerror(errno));
		return;
	}
	if (sqlite3_config(SQLITE_CONFIG_PAGECACHE, pool, (int)slot,
	    LITE_CACHE_PAGES) != SQLITE_OK)
		munmap(pool, len);
}

/*
 * lite_configure - before sqlite's first use: no memory statistics.  With
 * them every sqlite3_malloc and free takes one process-wide mutex, which
 * kith serve's threads (the committer, the page thread, the readers)
 * share; nothing of Kith's reads the statistics.
 */
/* db_sqlite_vfs's name, once lite_configure has registered it */
static const char *lite_vfs;

static void
lite_configure(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	lite_vfs = db_sqlite_vfs();
}

static int
lite_open(const char *path, int create, int busy_ms,
    enum db_durability durability, int target, struct db **out, char *err,
    size_t errlen)
{
	struct lite *l = xcalloc(1, sizeof(*l));
	struct db *db = &l->base;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int rc, st;

	db->ops = &db_sqlite_ops;
	*out = NULL;
	l->busy_ms = busy_ms;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	pthread_once(&lite_configured, lite_configure);
	share_umask(path);
	rc = sqlite3_open_v2(path, &l->h, flags, lite_vfs);
	if (rc != SQLITE_OK) {
		if (!create && (rc & 0xff) == SQLITE_CANTOPEN) {
			snprintf(err, errlen, "no database at '%s'; run "
			    "'kith init' first", path);
			db_close(db);
			return KITH_PERM;
		}
		snprintf(err, errlen, "database: cannot open '%s': %s", path,
		    l->h ? sqlite3_errmsg(l->h) : "out of memory");
		db_close(db);
		return db_status(rc);
	}
	sqlite3_extended_result_codes(l->h, 1);
	sqlite3_busy_timeout(l->h, busy_ms);
	sqlite3_db_config(l->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* before any statement: the archive's index is read with it */
	if (fts_register(l->h) < 0) {
		snprintf(err, errlen, "database: cannot register the search "
		    "tokenizer (sqlite without FTS5?)");
		db_close(db);
		return KITH_PERM;
	}
	if (sqlite3_create_function(l->h, "kith_mentions", 2, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, mentions, NULL,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database: cannot register "
		    "kith_mentions: %s", sqlite3_errmsg(l->h));
		db_close(db);
		return KITH_PERM;
	}
	sqlite3_db_config(l->h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(l->h, lite_wal_hook, l);
	if ((st = lite_pragma(db, "PRAGMA journal_mode=WAL", err, errlen)) ||
	    (st = lite_pragma(db, durability == DB_DURABLE ?
	    "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err,
	    errlen)) ||
	    (st = lite_pragma(db, "PRAGMA foreign_keys=ON", err, errlen)) ||
	    (st = lite_migrate_to(db, target, err, errlen))) {
		db_close(db);
		return st;
	}
	share(path);
	*out = db;
	return KITH_OK;
}

static void
lite_close(struct db *db)
{
	sqlite3_close_v2(L(db)->h);
	free(db);
}

static int
lite_in_tx(struct db *db)
{
	return !sqlite3_get_autocommit(L(db)->h);
}

static int
lite_script(struct db *db, const char *sql)
{
	return sqlite3_exec(L(db)->h, sql, NULL, NULL, NULL);
}

/* Writers one at a time: the lock is taken here, where busy_timeout
 * applies (API-NOTES 3.4), not at the first write. */
static int
lite_begin_write(struct db *db)
{
	return lite_script(db, "BEGIN IMMEDIATE");
}

static int
lite_read_begin(struct db *db)
{
	/* sqlite takes the snapshot at the first read: read now */
	return lite_script(db, "BEGIN; SELECT count(*) FROM sqlite_master");
}

/* posts archived from now on wait in posts_fts_queue (migration 17) to
 * be indexed at once by lite_group_close */
static int
lite_group_open(struct db *db)
{
	return db_exec(db, "INSERT INTO posts_fts_queue(id) VALUES (0)", "");
}

/*
 * lite_group_close - index the posts the group queued, in one statement
 * (one new FTS5 segment for the group, not one per post), and empty the
 * queue.
 */
static int
lite_group_close(struct db *db)
{
	int st;

	/* the queue stays (its marker goes): post_catch_up indexes it */
	if (db->defer)
		return db_exec(db, "DELETE FROM posts_fts_queue WHERE id=0", "");
	st = db_exec(db, "INSERT INTO posts_fts(rowid, subject, body) "
	    "SELECT p.id, p.subject, p.body FROM posts_fts_queue q JOIN posts "
	    "p ON p.id=q.id WHERE q.id>0 AND p.archived ORDER BY p.id", "");

	if (st == KITH_OK)
		st = db_exec(db, "DELETE FROM posts_fts_queue", "");
	return st;
}

static struct db_stmt *
lite_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt *h = NULL;
	struct lite_stmt *st;

	if (sqlite3_prepare_v2(L(db)->h, sql, -1, &h, NULL) != SQLITE_OK) {
		log_error("database: prepare: %s", sqlite3_errmsg(L(db)->h));
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	st->h = h;
	st->base.db = db;
	return &st->base;
}

static void
lite_finalize(struct db_stmt *st)
{
	sqlite3_finalize(S(st));
	free(st);
}

static int
lite_bind_text(struct db_stmt *st, int idx, const char *s, int n, int copy)
{
	return sqlite3_bind_text(S(st), idx, s, n, copy ? SQLITE_TRANSIENT :
	    SQLITE_STATIC);
}

static int
lite_bind_blob(struct db_stmt *st, int idx, const void *p, int n, int copy)
{
	return sqlite3_bind_blob(S(st), idx, p, n, copy ? SQLITE_TRANSIENT :
	    SQLITE_STATIC);
}

static int
lite_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	return sqlite3_bind_int64(S(st), idx, v);
}

static int
lite_bind_null(struct db_stmt *st, int idx)
{
	return sqlite3_bind_null(S(st), idx);
}

static int
lite_step(struct db_stmt *st)
{
	return sqlite3_step(S(st));
}

static int
lite_reset(struct db_stmt *st)
{
	return sqlite3_reset(S(st));
}

static void
lite_clear_bindings(struct db_stmt *st)
{
	sqlite3_clear_bindings(S(st));
}

static int64_t
lite_col_int64(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(S(st), col);
}

static double
lite_col_double(struct db_stmt *st, int col)
{
	return sqlite3_column_double(S(st), col);
}

static const char *
lite_col_str(struct db_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(S(st), col);
}

static const void *
lite_col_blob(struct db_stmt *st, int col)
{
	return sqlite3_column_blob(S(st), col);
}

static int
lite_col_bytes(struct db_stmt *st, int col)
{
	return sqlite3_column_bytes(S(st), col);
}

static int
lite_col_type(struct db_stmt *st, int col)
{
	return sqlite3_column_type(S(st), col);
}

static int
lite_col_count(struct db_stmt *st)
{
	return sqlite3_column_count(S(st));
}

static const char *
lite_col_name(struct db_stmt *st, int col)
{
	return sqlite3_column_name(S(st), col);
}

static const char *
lite_errmsg(struct db *db)
{
	return sqlite3_errmsg(L(db)->h);
}

static int64_t
lite_changes(struct db *db)
{
	return sqlite3_changes(L(db)->h);
}

/* ---- erasure and backups ---- */

static int
lite_secure_delete(struct db *db, int on)
{
	int old = (int)db_int(db, 0, NULL, "PRAGMA secure_delete", "");

	db_exec(db, on ? "PRAGMA secure_delete=ON" :
	    "PRAGMA secure_delete=OFF", "");
	return old;
}

/* lite_purge_index - merge every full-text index: a deleted term is
 * nowhere left in its segments. */
static int
lite_purge_index(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT name FROM sqlite_master "
	    "WHERE type='table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING "
	    "fts5%'");
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (st == NULL)
		return -1;
	while (db_step(st) == DB_ROW) {
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = db_col_text(st, 0);
	}
	db_finalize(st);
	/* 'optimize' merges every segment: a deleted term is nowhere left */
	for (size_t i = 0; i < n; i++) {
		char *sql = xasprintf("INSERT INTO \"%s\"(\"%s\") VALUES "
		    "('optimize')", names[i], names[i]);

		if (db_exec(db, sql, "") != KITH_OK)
			rc = -1;
		free(sql);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
lite_scrub(struct db *db)
{
	struct db_stmt *st;
	int busy = 1, rc = lite_purge_index(db);

	st = db_prepare(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	if (st == NULL)
		return -1;
	if (db_step(st) == DB_ROW)
		busy = db_col_int(st, 0);
	db_finalize(st);
	/* kith serve's checkpoints keep the WAL unless told (db_keep_wal) */
	if (busy)
		lite_scrub_later(db);
	if (rc < 0)
		return -1;
	return busy ? 0 : 1;
}

/* ---- the archive's search: FTS5 (db.h's db_search_posts) ---- */

/* The filters every search shares: ?2 the list, ?3 and ?4 the days,
 * ?5 the from: pattern, ?6 names only. */
#define LITE_SEARCH_FILTER "p.list_id=?2 AND p.archived<>0 AND (?3=0 OR " \
	"p.received>=?3) AND (?4=0 OR p.received<?4) AND (?5 IS NULL OR " \
	"p.sender_name LIKE ?5 ESCAPE '\\' OR (CASE WHEN ?6 THEN " \
	"substr(p.sender, 1, instr(p.sender, '@')) ELSE p.sender END) LIKE " \
	"?5 ESCAPE '\\')"
/*
 * Ranked: FTS5 finds and scores, the posts table filters.  ?1 is the
 * query (Kith's query form is FTS5's syntax, read as it is); ?9 bounds
 * the matches scored to the newest ones (-1: all of them): bm25 reads
 * each match's size and the join each match's row, so a word in a fifth
 * of 100,000 posts cost 150 ms; the newest LITE_RANK_WINDOW cost 15.
 */
#define LITE_SEARCH_RANKED "SELECT p.id FROM (SELECT rowid AS id, " \
	"bm25(posts_fts, 3.0, 1.0) AS score FROM posts_fts WHERE " \
	"posts_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?9) w JOIN posts p ON " \
	"p.id=w.id WHERE " LITE_SEARCH_FILTER " ORDER BY w.score, p.id DESC " \
	"LIMIT ?7 OFFSET ?8"
#define LITE_RANK_WINDOW 2000
/* Without words: the newest first. */
#define LITE_SEARCH_NEWEST "SELECT p.id FROM posts p WHERE ?1 IS NULL " \
	"AND " LITE_SEARCH_FILTER " ORDER BY p.received DESC, p.id DESC " \
	"LIMIT ?7 OFFSET ?8"

/*
 * lite_rank_window - how many matches to score, newest first: all of
 * them (-1) when a filter (from:, dates) may leave few of the newest,
 * or when there are not more than LITE_RANK_WINDOW; else that many (the
 * best of the newest 2,000 matches: a word in every other post is
 * ranked among this year's, not among ten years').
 */
static int64_t
lite_rank_window(struct db *db, const struct db_search *q)
{
	int st;
	int64_t n;

	if (q->match == NULL || q->from || q->after || q->before)
		return -1;
	n = db_int(db, 0, &st, "SELECT count(*) FROM (SELECT rowid FROM "
	    "posts_fts WHERE posts_fts MATCH ? ORDER BY rowid DESC LIMIT ?)",
	    "ti", q->match, (int64_t)LITE_RANK_WINDOW + 1);
	return st == KITH_OK && n > LITE_RANK_WINDOW ? LITE_RANK_WINDOW : -1;
}

/* lite_search_posts - db_search_posts on FTS5: bm25 (the subject three
 * times the body), highlight() and snippet() of the "kith" tokenizer */
static int
lite_search_posts(struct db *db, const struct db_search *q,
    int (*fn)(const struct db_search_hit *, void *), void *ctx)
{
	struct db_stmt *st = db_prepare(db, q->match ? LITE_SEARCH_RANKED :
	    LITE_SEARCH_NEWEST), *marks = NULL;
	int rc;

	if (st == NULL)
		return KITH_PERM;
	if (q->match)
		marks = db_prepare(db, "SELECT highlight(posts_fts, 0, "
		    "x'01', x'02'), snippet(posts_fts, 1, x'01', x'02', '…', "
		    "24) FROM posts_fts WHERE posts_fts MATCH ?1 AND rowid=?2");
	db_bind(st, "tiiitIii", q->match, q->list_id, q->after, q->before,
	    q->from, q->names_only, q->limit, q->offset);
	if (q->match)
		db_bind_int64(st, 9, lite_rank_window(db, q));
	while ((rc = db_step(st)) == DB_ROW) {
		struct db_search_hit h;
		char *subject = NULL, *snippet = NULL;
		int stop;

		memset(&h, 0, sizeof(h));
		h.id = db_col_int64(st, 0);
		if (marks) {
			db_reset(marks);
			db_bind(marks, "ti", q->match, h.id);
			if (db_step(marks) == DB_ROW) {
				subject = db_col_text(marks, 0);
				snippet = db_col_text(marks, 1);
			}
			db_reset(marks);
		}
		h.subject_marked = subject;
		h.snippet = snippet;
		stop = fn(&h, ctx);
		free(subject);
		free(snippet);
		if (stop)
			break;
	}
	db_finalize(st);
	db_finalize(marks);
	return rc == DB_ROW || rc == DB_DONE ? KITH_OK : db_status(rc);
}

static int
lite_copy_to(struct db *db, const char *dst, int pages, int pause_ms,
    void (*in_snapshot)(struct db *, void *), void *ctx, char *err,
    size_t errlen)
{
	sqlite3 *out = NULL;
	sqlite3_backup *b;
	int rc, st = KITH_OK;

	if (sqlite3_open_v2(dst, &out, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot create '%s': %s", dst,
		    out ? sqlite3_errmsg(out) : "out of memory");
		sqlite3_close_v2(out);
		return KITH_PERM;
	}
	if (db_read_begin(db) != KITH_OK) {
		snprintf(err, errlen, DB_BUSY_TEXT " (%s)",
		    sqlite3_errmsg(L(db)->h));
		sqlite3_close_v2(out);
		return KITH_TEMP;
	}
	if (in_snapshot)
		in_snapshot(db, ctx);
	b = sqlite3_backup_init(out, "main", L(db)->h, "main");
	if (b == NULL) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(out));
		st = KITH_TEMP;
	}
	while (b && (rc = sqlite3_backup_step(b, pages > 0 ? pages : 1024)) !=
	    SQLITE_DONE) {
		if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (pause_ms > 0 || rc != SQLITE_OK)
				sqlite3_sleep(pause_ms > 0 ? pause_ms : 20);
			continue;
		}
		snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc));
		st = db_status(rc);
		break;
	}
	if (b && sqlite3_backup_finish(b) != SQLITE_OK && st == KITH_OK) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(out));
		st = KITH_TEMP;
	}
	db_read_end(db);
	/* one file on its own: no -wal beside it */
	if (st == KITH_OK && sqlite3_exec(out, "PRAGMA journal_mode=DELETE",
	    NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(out));
		st = KITH_TEMP;
	}
	sqlite3_close_v2(out);
	return st;
}

/*
 * lite_id_high - the largest id table has given: its largest row's, or
 * more for an AUTOINCREMENT table (held) whose last rows are gone, as
 * sqlite_sequence remembers, so that a copy never gives one again.
 */
static int64_t
lite_id_high(struct db *db, const char *table)
{
	char *sql = xasprintf("SELECT coalesce(max(id), 0) FROM %s", table);
	int64_t high, seq;
	int st;

	high = db_int(db, -1, &st, sql, "");
	free(sql);
	if (st != KITH_OK)
		return -1;
	/* no sqlite_sequence yet: no AUTOINCREMENT table has had a row */
	seq = db_int(db, 0, &st, "SELECT seq FROM sqlite_sequence WHERE "
	    "name=?", "t", table);
	return st == KITH_OK && seq > high ? seq : high;
}

/*
 * The queue's claim (db_claim_prepare): one UPDATE per step, the rows it
 * takes found in id order.  "INDEXED BY": without the hint sqlite's
 * planner sorts all due rows by id for every claim, which is O(N).
 * Claims are write transactions (BEGIN IMMEDIATE): one at a time.
 */
#define CLAIM_SET "UPDATE outbox SET state='sending', lease_until=?1 + ?2, " \
	"attempts=attempts+1, updated=?1, claimed_by=?4 WHERE id IN " \
	"(SELECT id FROM outbox "
#define CLAIM_END " LIMIT ?3) RETURNING id, message_id, rcpt, attempts, " \
	"coalesce(member_id, 0)"

/* killed runs' rows by their lease, oldest first; then retries and new
 * rows in id order (schema 20's indexes) */
static const char *const lite_claim_sql[] = {
	CLAIM_SET "INDEXED BY outbox_lease WHERE state='sending' AND "
	    "lease_until<?1 ORDER BY lease_until, id" CLAIM_END,
	CLAIM_SET "INDEXED BY outbox_deferred WHERE state='deferred' AND "
	    "next_try<=?1 ORDER BY id" CLAIM_END,
	CLAIM_SET "INDEXED BY outbox_pending WHERE state='pending' AND "
	    "next_try<=?1 ORDER BY id" CLAIM_END,
	NULL
};

const struct db_ops db_sqlite_ops = {
	.name = "sqlite",
	.claims = lite_claims,
	.open = lite_open,
	.close = lite_close,
	.migrate_to = lite_migrate_to,
	.schema_version = lite_schema_version,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.bind_text = lite_bind_text,
	.bind_blob = lite_bind_blob,
	.bind_int64 = lite_bind_int64,
	.bind_null = lite_bind_null,
	.step = lite_step,
	.reset = lite_reset,
	.clear_bindings = lite_clear_bindings,
	.col_int64 = lite_col_int64,
	.col_double = lite_col_double,
	.col_str = lite_col_str,
	.col_blob = lite_col_blob,
	.col_bytes = lite_col_bytes,
	.col_type = lite_col_type,
	.col_count = lite_col_count,
	.col_name = lite_col_name,
	.errmsg = lite_errmsg,
	.changes = lite_changes,
	.in_tx = lite_in_tx,
	.script = lite_script,
	.begin_write = lite_begin_write,
	.claim_sql = lite_claim_sql,
	.read_begin = lite_read_begin,
	.group_open = lite_group_open,
	.group_close = lite_group_close,
	.keep_wal = lite_keep_wal,
	.scrub_later = lite_scrub_later,
	.checkpoint = lite_checkpoint,
	.checkpoint_hook = lite_checkpoint_hook,
	.reserve_cache = lite_reserve_cache,
	.checkpoint_step = lite_checkpoint_step,
	.sync_later = lite_sync_later,
	.secure_delete = lite_secure_delete,
	.scrub = lite_scrub,
	.search_posts = lite_search_posts,
	.purge_index = lite_purge_index,
	.copy_to = lite_copy_to,
	.file_schema_version = lite_file_schema_version,
	.file_integrity = lite_file_integrity,
	.id_high = lite_id_high,
	/* id_follow: a rowid goes past the largest by itself */
};
