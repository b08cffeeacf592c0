// Package links finds links in message text and classifies their hosts for
// the link rules of the policy:
//
//   - link-file-sharing: file-exchange services where the counterpart
//     cannot be identified (受託者向け情報セキュリティ遵守事項 第6-3): ギガファイル便,
//     firestorage, WeTransfer, Send Anywhere, データ便, ... (data/filesharing.txt);
//   - link-online-service: online services named in 第7 (online storage,
//     documents, notes, photos, bookmarks): Google ドキュメント/ドライブ,
//     Evernote, OneDrive, Flickr, はてなブックマーク, Dropbox, Box, ...
//     (data/onlineservice.txt).
//
// Mail sent to those services' mail-in addresses (…@m.evernote.com) is a
// recipient matter, classified by package recipient (Class OnlineService).
//
// # API
//
//	c, err := links.NewClassifier(links.Config{
//		Allow: []string{"contoso.sharepoint.com"}, // the organisation's own tenant
//	})
//	findings := c.Check(texts...) // inspect.Text.Content strings, or raw HTML
//	for _, f := range findings {
//		_ = f.Class.Rule() // "link-file-sharing" or "link-online-service"
//		_ = f.Evidence()   // "gigafile.nu: ギガファイル便 (GigaFile) (https://gigafile.nu/abc)"
//	}
//
// Extract returns the links themselves. The lists are embedded data files
// (see their headers for sources); entries cover their subdomains; the
// administrator adds and removes entries with Config.*Add/*Remove and
// exempts hosts with Config.Allow (exact hosts, or "*.name" for the
// subdomains of name, as domains.internal). Host patterns only: a path such
// as drive.google.com/drive/folders/<org's folder> cannot be allowed.
package links

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/sendguard/sendguard/policy/recipient"
)

var (
	//go:embed data/filesharing.txt
	fileSharingData string
	//go:embed data/onlineservice.txt
	onlineServiceData string
)

// FileSharingData is the shipped list of file-exchange services
// (data/filesharing.txt), in the recipient.List file format.
func FileSharingData() string { return fileSharingData }

// OnlineServiceData is the shipped list of online services
// (data/onlineservice.txt), in the recipient.List file format.
func OnlineServiceData() string { return onlineServiceData }

// Rule ids (the same strings as the policy package's constants).
const (
	RuleFileSharing   = "link-file-sharing"
	RuleOnlineService = "link-online-service"
)

// Class is what a link's host is.
type Class int

const (
	// None: not listed, or allowed.
	None Class = iota
	// FileSharing: a file-exchange service (link-file-sharing).
	FileSharing
	// OnlineService: an online service of 第7 (link-online-service).
	OnlineService
)

func (c Class) String() string {
	switch c {
	case FileSharing:
		return "file-sharing"
	case OnlineService:
		return "online-service"
	}
	return "none"
}

// Rule is the rule id for the class, "" for None.
func (c Class) Rule() string {
	switch c {
	case FileSharing:
		return RuleFileSharing
	case OnlineService:
		return RuleOnlineService
	}
	return ""
}

// Config edits the shipped lists.
type Config struct {
	// Added and removed entries: domains covering their subdomains.
	FileSharingAdd, FileSharingRemove     []string
	OnlineServiceAdd, OnlineServiceRemove []string
	// Allow exempts hosts from both lists: "contoso.sharepoint.com" (that
	// host), "*.contoso.example" (its subdomains). A leading "www." of a
	// host is ignored, as in links.
	Allow []string
}

// Classifier classifies link hosts. It is safe for concurrent use.
type Classifier struct {
	fileSharing, online *recipient.List
	allow               *recipient.Set
}

// NewClassifier compiles cfg.
func NewClassifier(cfg Config) (*Classifier, error) {
	var errs []error
	c := &Classifier{}
	var err error
	if c.fileSharing, err = recipient.NewList(fileSharingData, cfg.FileSharingAdd, cfg.FileSharingRemove); err != nil {
		errs = append(errs, fmt.Errorf("file-sharing list: %w", err))
	}
	if c.online, err = recipient.NewList(onlineServiceData, cfg.OnlineServiceAdd, cfg.OnlineServiceRemove); err != nil {
		errs = append(errs, fmt.Errorf("online-service list: %w", err))
	}
	var allow []string
	for _, a := range cfg.Allow {
		a = strings.TrimSpace(a)
		if strings.TrimPrefix(a, "*.") == "" || strings.ContainsAny(a, "@/ :") {
			errs = append(errs, fmt.Errorf("allow: %q is not a host pattern (\"host\" or \"*.domain\")", a))
			continue
		}
		if rest, ok := strings.CutPrefix(a, "*."); ok {
			allow = append(allow, "*."+stripWWW(recipient.Normalize(rest)))
		} else {
			allow = append(allow, stripWWW(recipient.Normalize(a)))
		}
	}
	c.allow = recipient.NewSet(allow)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func stripWWW(h string) string {
	if rest, ok := strings.CutPrefix(h, "www."); ok && strings.Contains(rest, ".") {
		return rest
	}
	return h
}

// ClassifyHost classifies a host (any form: it is normalised as in
// Extract), with the list entry that matched and the service's name.
func (c *Classifier) ClassifyHost(host string) (class Class, entry, service string) {
	h := normHost(host)
	if h == "" || c.allow.Contains(h) {
		return None, "", ""
	}
	if e, s, ok := c.fileSharing.Match(h); ok {
		return FileSharing, e, s
	}
	if e, s, ok := c.online.Match(h); ok {
		return OnlineService, e, s
	}
	return None, "", ""
}

// Finding is a listed link.
type Finding struct {
	Class   Class
	Host    string // normalised host
	Entry   string // the list entry that matched
	Service string // the service's name from the list
	Link    Link   // the first link to the host
}

// Evidence is a short account for replies and the audit log.
func (f Finding) Evidence() string {
	s := f.Host
	if f.Service != "" {
		s += ": " + f.Service
	}
	raw := f.Link.Raw
	if len(raw) > 200 {
		raw = truncate(raw, 200) + "…"
	}
	return s + " (" + raw + ")"
}

// Check extracts the links of every text and returns the listed ones, one
// Finding per host, in order of first appearance.
func (c *Classifier) Check(texts ...string) []Finding {
	return c.check(texts, Extract)
}

// CheckNFKC is Check for texts already in NFKC form (see ExtractNFKC).
func (c *Classifier) CheckNFKC(texts ...string) []Finding {
	return c.check(texts, ExtractNFKC)
}

func (c *Classifier) check(texts []string, extract func(string) []Link) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, t := range texts {
		for _, l := range extract(t) {
			if seen[l.Host] {
				continue
			}
			seen[l.Host] = true
			if cl, e, s := c.ClassifyHost(l.Host); cl != None {
				out = append(out, Finding{Class: cl, Host: l.Host, Entry: e, Service: s, Link: l})
			}
		}
	}
	return out
}
