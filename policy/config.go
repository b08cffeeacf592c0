package policy

import "github.com/sendguard/sendguard/policy/explain"

// Config is the policy part of the configuration file, as decoded from TOML.
// It is compiled once into a Policy.
type Config struct {
	Domains     DomainsConfig         `toml:"domains"`
	Rules       map[string]RuleConfig `toml:"rules"`
	Limits      LimitsConfig          `toml:"limits"`
	Attachments AttachmentsConfig     `toml:"attachments"`
	Password    PasswordConfig        `toml:"password"`
	Recipients  RecipientsConfig      `toml:"recipients"`
	Links       LinksConfig           `toml:"links"`
	// PersonalData is [personal_data]: rule personal-data-in-body.
	PersonalData PersonalDataConfig `toml:"personal_data"`

	// ExplainTemplates overrides explanation texts: rule id → language →
	// part → Go text/template. It is read from [explain.templates] by the
	// config package.
	ExplainTemplates explain.Overrides `toml:"-"`
}

// DomainsConfig is the [domains] section.
type DomainsConfig struct {
	// Internal domains are the organisation's own; "*.example.co.jp" matches
	// its subdomains.
	Internal []string `toml:"internal"`
	Verified []string `toml:"verified"`
	DNSCheck bool     `toml:"dns_check"`
	// DNSResolver is the resolver asked when DNSCheck is on (host:port);
	// DNSTimeout bounds one query ("2s"). A timeout or SERVFAIL never
	// makes a domain unresolvable.
	DNSResolver string `toml:"dns_resolver"`
	DNSTimeout  string `toml:"dns_timeout"`
}

// RuleConfig is one [rules.<id>] section.
type RuleConfig struct {
	// Action is pass, flag, hold (the sender confirms), approve (an
	// approver releases) or reject.
	Action string `toml:"action"`
	// Scope is "external" (the rule applies when the message goes to at
	// least one recipient outside the internal domains) or "all".
	Scope string `toml:"scope"`
	// ExemptSenders are envelope senders the rule does not apply to:
	// "user@example.co.jp", "*@legal.example.co.jp" or "@legal.example.co.jp".
	ExemptSenders []string `toml:"exempt_senders"`
	// Incident marks findings of this rule as security incidents, reported
	// to [incidents] contacts (default: true for password-in-body,
	// recipient-domain-lookalike and recipient-domain-anonymous).
	Incident *bool `toml:"incident"`
	// FlagNotice mails the sender a short notice when this rule flags a
	// message that was sent.
	FlagNotice bool `toml:"flag_notice"`
}

// LimitsConfig bounds the work spent on one message. Anything past a limit is
// attachment-unscannable: fail closed.
type LimitsConfig struct {
	MaxMIMEDepth       int   `toml:"max_mime_depth"`
	MaxParts           int   `toml:"max_parts"`
	MaxAttachmentBytes int64 `toml:"max_attachment_bytes"`
	MaxArchiveNesting  int   `toml:"max_archive_nesting"`
	MaxArchiveEntries  int   `toml:"max_archive_entries"`
	MaxInflatedBytes   int64 `toml:"max_inflated_bytes"`
}

// AttachmentsConfig is the [attachments] section.
type AttachmentsConfig struct {
	// ExemptTypes are media types that are listed in the verdict but need no
	// encryption. Default: signatures, calendar invitations and vCards.
	ExemptTypes []string `toml:"exempt_types"`
	// CountInlineImages counts images shown in the HTML body (cid:) as
	// attachments.
	CountInlineImages bool `toml:"count_inline_images"`
	// ZipCrypto says what a ZIP encrypted with the legacy ZipCrypto method
	// (broken by known-plaintext attacks) is: "accept" (protected, the
	// default), "flag" (relayed with a flag) or "reject" (not protected).
	ZipCrypto string `toml:"zipcrypto"`
	// AllowPlainContainerOfProtected accepts an unencrypted archive whose
	// every file is itself an encrypted archive or file.
	AllowPlainContainerOfProtected bool `toml:"allow_plain_container_of_protected"`
	// SpoolDir holds attachments larger than SpoolMemoryBytes while they are
	// inspected ("" = the system's temporary directory).
	SpoolDir         string `toml:"spool_dir"`
	SpoolMemoryBytes int64  `toml:"spool_memory_bytes"`
}
