// Package encryption answers, per file format: is this file protected, and
// does this password open it?
//
// Files are identified by content (magic bytes, see [Identify]), never by
// name. [Inspect] reports whether an attachment is protected and why; when
// it cannot decide (corrupt, hostile or too large input) it says so in
// [Result.Unscannable] and the caller must fail closed. [ZipPasswordOpens]
// and [ZipPasswordChecker] test candidate passwords against encrypted ZIP
// entries and verify a hit against the entry data, not only the check bytes.
//
// Only ZIP is inspected in depth so far; other formats are identified and
// returned as Result{Format: f} until their inspectors are added to the
// switch in [Inspect].
package encryption
