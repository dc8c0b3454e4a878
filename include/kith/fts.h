/*
 * fts - the archive's search tokenizer, "kith", an FTS5 tokenizer that
 * every connection Kith opens registers (db_open) before it migrates.
 *
 * sqlite's unicode61 tokenizer with remove_diacritics 2 does the words
 * (case folding, Latin diacritics, separators); this one wraps it for
 * what unicode61 misses:
 *
 *  - diacritics in every script: a letter whose canonical decomposition
 *    is a base letter and accents is read as the base letter (Greek
 *    "καλημέρα" and "καλημερα", polytonic Greek, Cyrillic, the Latin
 *    letters unicode61 leaves alone), combining accents are dropped
 *    inside words, final sigma is sigma (table: fts_fold.h, made by
 *    scripts/gen-fold.py);
 *  - Chinese, Japanese and Korean, written without spaces between words
 *    (or with particles glued to them: "화요일에"), are indexed as
 *    overlapping pairs of characters (bigrams: 화요 요일 일에) with the
 *    last character of each run also indexed alone, at the same position.
 *    A query of two or more characters is the phrase of its pairs, so
 *    "화요일" finds "화요일에"; a query of one character is a prefix
 *    query ("화"*: pairs starting with it, or it alone at a run's end).
 *
 * Offsets given to FTS5 are those of the original text, so highlight()
 * and snippet() mark the words as they were written.
 *
 * The index is only usable where the tokenizer is registered: sqlite's
 * command-line shell may read the posts table but cannot insert into it
 * or delete from it (the index triggers would need "kith").
 */
#ifndef KITH_FTS_H
#define KITH_FTS_H

#include <stdint.h>

/* fts_register, for the sqlite backend's connections: src/db_sqlite.h. */

/*
 * fts_fold_text - text as the archive's search compares it: lower case,
 * accents off ("Moravský" -> "moravsky", "Ά" -> "α").  Caller frees.
 */
char *fts_fold_text(const char *text);

/* 1 when cp is written in runs without spaces: Han, kana, Hangul. */
int fts_is_cjk(uint32_t cp);

#endif
