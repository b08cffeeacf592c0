package policy

// Rule ids, as used in replies, headers, logs and the policy file.
const (
	RuleAttachmentUnencrypted = "attachment-unencrypted"
	RuleAttachmentUnscannable = "attachment-unscannable"
	RulePasswordInBody        = "password-in-body"
	RuleDomainUnverified      = "recipient-domain-unverified"
	RuleDomainLookalike       = "recipient-domain-lookalike"
	RuleDomainAnonymous       = "recipient-domain-anonymous"
	RuleDomainUnresolvable    = "recipient-domain-unresolvable"
	RuleRecipientsExposed     = "recipients-exposed"
	RuleLinkFileSharing       = "link-file-sharing"
	RuleLinkOnlineService     = "link-online-service"
	RulePersonalData          = "personal-data-in-body"
)

// Scope says which messages a rule applies to.
type Scope int

const (
	// ScopeExternal: messages with at least one recipient outside the
	// internal domains.
	ScopeExternal Scope = iota
	// ScopeAll: every message.
	ScopeAll
)

func (s Scope) String() string {
	if s == ScopeAll {
		return "all"
	}
	return "external"
}

// ruleDefault is a rule's shipped setting, used where the policy file is
// silent, and whether this version implements it.
type ruleDefault struct {
	action      Action
	scope       Scope
	implemented bool
	incident    bool
}

// ruleDefaults are the defaults a new admin gets (architecture: "Defaults a
// new admin gets").
var ruleDefaults = map[string]ruleDefault{
	RuleAttachmentUnencrypted: {Reject, ScopeExternal, true, false},
	RuleAttachmentUnscannable: {Reject, ScopeExternal, true, false},
	RulePasswordInBody:        {Reject, ScopeExternal, true, true},
	RuleDomainUnverified:      {Flag, ScopeExternal, true, false},
	RuleDomainLookalike:       {Reject, ScopeExternal, true, true},
	RuleDomainAnonymous:       {Reject, ScopeExternal, true, true},
	RuleDomainUnresolvable:    {Flag, ScopeExternal, true, false},
	RuleRecipientsExposed:     {Reject, ScopeExternal, true, false},
	RuleLinkFileSharing:       {Flag, ScopeExternal, true, false},
	RuleLinkOnlineService:     {Flag, ScopeExternal, true, false},
	RulePersonalData:          {Reject, ScopeExternal, true, false},
}

// RuleIDs returns every known rule id in a stable order.
func RuleIDs() []string {
	return []string{
		RuleAttachmentUnencrypted, RuleAttachmentUnscannable, RulePasswordInBody,
		RuleDomainUnverified, RuleDomainLookalike, RuleDomainAnonymous,
		RuleDomainUnresolvable, RuleRecipientsExposed, RuleLinkFileSharing,
		RuleLinkOnlineService, RulePersonalData,
	}
}
