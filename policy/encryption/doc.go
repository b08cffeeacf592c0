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
// Formats inspected: ZIP (ZipCrypto, WinZip AES, PKWARE strong
// encryption), 7z (AES, with or without encrypted headers), RAR 4 and 5,
// PDF (standard security handler R2–R6: protected only when the empty user
// password fails), Office (encrypted OOXML in CFB: Agile and Standard;
// legacy .doc/.xls/.ppt with RC4, RC4 CryptoAPI or XOR; the built-in
// VelvetSweatshop and PowerPoint passwords do not count), OpenPGP and
// S/MIME. Password checkers exist for ZIP, 7z, RAR, PDF and Office.
//
// # ZIP
//
// An archive is Protected when every file entry is encrypted (ZipCrypto,
// WinZip AES, PKWARE strong encryption) and there is at least one.
// Directory entries may be plain. An archive without file entries has
// nothing to protect and is not Protected (nor unscannable).
//
// archive/zip trusts the central directory; other tools trust the local
// headers, or the first directory they find. So the archive is unscannable
// unless both views agree: archive/zip and a second, hand-written reader
// of the central directory must list the same entries; every local header
// must match its central header (signature, encryption flags, method,
// name, AES strength, CRC and sizes unless deferred to a data descriptor);
// and the entries, the central directory and the end records must cover
// the file exactly: overlapping entries are a zip bomb, unclaimed bytes
// are a prepended or appended archive, a shadow directory or hidden data.
// Declared compression ratios over Limits.MaxRatio (for entries over
// 1 MiB) are a bomb too; nothing is inflated to find out.
//
// Plain entries are identified by content; a known format (an archive in
// the archive, a PDF, ...) is read within the byte budget and inspected in
// turn, up to Limits.MaxNesting levels, into Result.Nested. The container
// stays unprotected; [Result.PlainContainerOfProtected] lets a policy
// accept a plain container of protected files. Encrypted entries are never
// opened by Inspect.
//
// An archive whose central directory is itself encrypted (APPNOTE 7.3)
// cannot be listed; it counts as Protected, with a note, when every local
// header is encrypted and masked.
package encryption
