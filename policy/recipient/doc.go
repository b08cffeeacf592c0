// Package recipient classifies recipient addresses and domains for the
// recipient rules of the policy:
//
//   - recipient-domain-unverified: neither internal nor verified;
//   - recipient-domain-lookalike: not internal or verified, but resembling a
//     domain that is (see below);
//   - recipient-domain-anonymous: a disposable or anonymous mail service
//     (受託者向け情報セキュリティ遵守事項 第6-3), from the shipped list
//     data/disposable.txt edited by Config.AnonymousAdd/AnonymousRemove;
//   - link-online-service: the mail-in domain of an online service (第7),
//     from data/mailin.txt (Config.MailInAdd/MailInRemove);
//   - recipient-domain-unresolvable: no MX and no A/AAAA, NXDOMAIN or a null
//     MX, when Config.DNS is set; and, without DNS, a top-level domain that
//     does not exist (example.co.jpp, partner.cmo: not in the ICANN section
//     of the Public Suffix List, see KnownTLD), which is also a lookalike
//     when one edit from an internal or verified name;
//   - recipients-exposed: more than Config.ExposedThreshold (default 5)
//     distinct external addresses in To/Cc of one message (一斉送信).
//
// # API
//
//	c, err := recipient.NewClassifier(recipient.Config{
//		Internal: []string{"example.co.jp"},
//		Verified: []string{"partner.example.com", "*.client.example.ne.jp"},
//		DNS:      &recipient.DNSConfig{Resolver: "127.0.0.1:53"}, // nil: off
//	})
//	verdicts := c.Classify(ctx, envelopeRecipients) // one Verdict per address
//	for _, v := range verdicts {
//		ids := v.Rules()    // rule ids the verdict triggers
//		why := v.Evidence() // for the reply and the audit log
//	}
//	n, domains, exposed := c.Exposed(toAndCcAddresses)
//
// Domains are compared in lower-case A-label (punycode) form, so
// internationalised (SMTPUTF8) addresses and IDNs in any form match their
// A-label entries; Domain, Normalize and Set are the building blocks.
//
// Precedence of classes: internal, then the anonymous list, then the mail-in
// list (both win over verified: remove the entry to allow it; Verdict.Verified
// still says the domain was verified), then verified, then lookalike, else
// unverified. Rules() adds recipient-domain-unverified to a lookalike,
// anonymous or mail-in verdict whose domain is not verified.
//
// # Lookalikes
//
// A domain is compared with every internal and verified name (for
// "*.partner.example.com", with partner.example.com). A name with the same
// registrable domain (eTLD+1 by golang.org/x/net/publicsuffix, so co.jp, ne.jp,
// or.jp, lg.jp, ac.jp work) as a protected one has the same owner and is never
// a lookalike. Otherwise it is a lookalike when:
//
//   - its registrable label has the same confusables skeleton (see
//     confusables.go: TR39 confusables for Latin/Greek/Cyrillic/Armenian,
//     fullwidth, "rn"/"m", "1"/"l", "0"/"o", "vv"/"w", "cl"/"d", diacritics)
//     as a protected label: the same label under another suffix
//     (example.jp / example.co.jp), confusable ASCII (examp1e), or an IDN
//     homoglyph (xn--... with Cyrillic letters);
//   - it equals a protected name once dots and hyphens are dropped
//     (partner-example.com / partner.example.com, example-co.jp);
//   - the optimal-string-alignment (restricted Damerau-Levenshtein) distance
//     between the skeletons of the registrable labels is within the budget
//     of the protected label's length: 0 for up to 3 characters, 1 for 4-5,
//     2 from 6 (swapped letters, doubled letters, one letter changed ...);
//   - it contains a protected name on label boundaries
//     (example.co.jp.evil.test).
//
// The protected labels are indexed by the deletion neighbourhoods of their
// skeletons (SymSpell), so a look-up costs a few dozen map probes whatever the
// size of the verified list; see BenchmarkClassify50Against5000.
//
// # DNS
//
// The DNS check asks the configured recursive resolver (github.com/miekg/dns
// client; UDP, TCP on truncation) for MX, then A and AAAA, following CNAMEs.
// A timeout, SERVFAIL or any other failure is Unknown, never Unresolvable.
// Results are cached per domain in a bounded LRU: positive answers for the
// records' TTL capped by DNSConfig.MaxTTL, negative ones for the SOA minimum
// capped by DNSConfig.NegativeTTL (default 5 min).
package recipient
