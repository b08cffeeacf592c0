package policy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sendguard/sendguard/policy/inspect"
	"github.com/sendguard/sendguard/policy/links"
	"github.com/sendguard/sendguard/policy/recipient"
)

// RecipientsConfig is the [recipients] section.
type RecipientsConfig struct {
	// ExposedThreshold: more than this many external addresses in To/Cc
	// is recipients-exposed (default 5).
	ExposedThreshold int `toml:"exposed_threshold"`
	// AnonymousAdd / AnonymousRemove edit the shipped list of disposable
	// and anonymous mail services; MailInAdd / MailInRemove the online
	// services' mail-in domains.
	AnonymousAdd    []string `toml:"anonymous_add"`
	AnonymousRemove []string `toml:"anonymous_remove"`
	MailInAdd       []string `toml:"mail_in_add"`
	MailInRemove    []string `toml:"mail_in_remove"`
}

// LinksConfig is the [links] section: the shipped lists of file-exchange
// and online services, and the organisation's own sanctioned ones.
type LinksConfig struct {
	FileSharingAdd      []string `toml:"file_sharing_add"`
	FileSharingRemove   []string `toml:"file_sharing_remove"`
	OnlineServiceAdd    []string `toml:"online_service_add"`
	OnlineServiceRemove []string `toml:"online_service_remove"`
	// Allow: hosts never counted ("contoso.sharepoint.com", "*.box.example").
	Allow []string `toml:"allow"`
}

func compileRecipients(cfg Config, errorf func(key, format string, args ...any)) (*recipient.Classifier, *links.Classifier) {
	rc := recipient.Config{
		Internal: cfg.Domains.Internal, Verified: cfg.Domains.Verified,
		AnonymousAdd: cfg.Recipients.AnonymousAdd, AnonymousRemove: cfg.Recipients.AnonymousRemove,
		MailInAdd: cfg.Recipients.MailInAdd, MailInRemove: cfg.Recipients.MailInRemove,
		ExposedThreshold: cfg.Recipients.ExposedThreshold,
	}
	if cfg.Recipients.ExposedThreshold < 0 {
		errorf("recipients.exposed_threshold", "must be positive")
	}
	if cfg.Domains.DNSCheck {
		if cfg.Domains.DNSResolver == "" {
			errorf("domains.dns_resolver", "dns_check = true needs a resolver address (host:port)")
		}
		timeout := 2 * time.Second
		if cfg.Domains.DNSTimeout != "" {
			d, err := time.ParseDuration(cfg.Domains.DNSTimeout)
			if err != nil || d <= 0 {
				errorf("domains.dns_timeout", "not a positive duration: %q", cfg.Domains.DNSTimeout)
			} else {
				timeout = d
			}
		}
		rc.DNS = &recipient.DNSConfig{Resolver: cfg.Domains.DNSResolver, Timeout: timeout}
	}
	r, err := recipient.NewClassifier(rc)
	if err != nil {
		errorf("domains", "%v", err)
	}
	lc := cfg.Links
	l, err := links.NewClassifier(links.Config{
		FileSharingAdd: lc.FileSharingAdd, FileSharingRemove: lc.FileSharingRemove,
		OnlineServiceAdd: lc.OnlineServiceAdd, OnlineServiceRemove: lc.OnlineServiceRemove, Allow: lc.Allow,
	})
	if err != nil {
		errorf("links", "%v", err)
	}
	return r, l
}

// recipientFindings classifies the envelope recipients (Bcc included) by
// domain, counts the external addresses exposed in To/Cc, and checks the
// links in the text. One finding per rule and domain or host.
func (p *Policy) recipientFindings(ctx context.Context, env Envelope, m *inspect.Message, texts *messageTexts, applies func(string) *rule) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, v := range p.recipients.Classify(ctx, env.To) {
		for _, id := range v.Rules() {
			r := applies(id)
			if r == nil || seen[id+" "+v.Domain] {
				continue
			}
			seen[id+" "+v.Domain] = true
			f := Finding{Rule: id, Action: r.action, Evidence: v.Domain, Data: map[string]string{}, Detail: v.Evidence()}
			switch id {
			case RuleDomainLookalike:
				f.Data["Resembles"], f.Data["Kind"] = v.Resembles, string(v.Kind)
			case RuleDomainAnonymous:
				f.Data["Service"] = v.Service
			case RuleDomainUnresolvable:
				f.Data["Reason"] = v.DNSDetail
			case RuleLinkOnlineService:
				f.Variant, f.Data["Service"] = "mail-in", v.Service
			}
			out = append(out, f)
		}
	}
	if r := applies(RuleRecipientsExposed); r != nil {
		header := append(append([]string(nil), m.To...), m.Cc...)
		if n, domains, exposed := p.recipients.Exposed(header); exposed {
			out = append(out, Finding{
				Rule: RuleRecipientsExposed, Action: r.action,
				Evidence: fmt.Sprintf("%d external addresses in To/Cc", n),
				Data:     map[string]string{"Count": fmt.Sprint(n), "Threshold": fmt.Sprint(p.exposedThreshold)},
				Detail:   "domains=" + strings.Join(domains, ","),
			})
		}
	}
	fileSharing, online := applies(RuleLinkFileSharing), applies(RuleLinkOnlineService)
	if fileSharing != nil || online != nil {
		for _, lf := range p.links.CheckNFKC(texts.nfkc()...) {
			r := applies(lf.Class.Rule())
			if r == nil {
				continue
			}
			out = append(out, Finding{
				Rule: lf.Class.Rule(), Action: r.action, Evidence: lf.Host,
				Data: map[string]string{"Service": lf.Service}, Detail: "entry=" + lf.Entry,
			})
		}
	}
	return out
}
