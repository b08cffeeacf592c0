package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/sendguard/sendguard/policy/inspect"
	"github.com/sendguard/sendguard/policy/personal"
)

// PersonalDataConfig is the [personal_data] section: thresholds and actions
// per kind of personal data for rule personal-data-in-body.
type PersonalDataConfig struct {
	MyNumber PersonalKindConfig `toml:"my_number"`
	Card     PersonalKindConfig `toml:"card"`
	People   PersonalKindConfig `toml:"people"`
	// Patterns are the organisation's own identifiers (会員番号, 患者ID …).
	Patterns []PersonalPatternConfig `toml:"patterns"`
}

// PersonalKindConfig is one kind's setting: how many distinct items fire
// (Min; for people, rows of a list) and the action ("" = the rule's).
type PersonalKindConfig struct {
	Min    int    `toml:"min"`
	Action string `toml:"action"`
}

// PersonalPatternConfig is one [[personal_data.patterns]] entry: a regular
// expression (RE2 syntax), keywords of which one must stand near a match,
// the minimum number of distinct matches and an action.
type PersonalPatternConfig struct {
	Name     string   `toml:"name"`
	Regexp   string   `toml:"regexp"`
	Keywords []string `toml:"keywords"`
	Min      int      `toml:"min"`
	Action   string   `toml:"action"`
}

// personalData is the compiled [personal_data] section.
type personalData struct {
	scanner *personal.Scanner
	// actions by kind ("my-number", "card", "people-list", "pattern:<name>");
	// a kind missing here takes the rule's action.
	actions map[string]Action
}

// compilePersonalData checks the [personal_data] section and builds its
// scanner (patterns compiled once here, never per message).
func compilePersonalData(c PersonalDataConfig, errorf, warnf func(key, format string, args ...any)) personalData {
	pd := personalData{actions: map[string]Action{}}
	action := func(key, kind, s string) {
		if s == "" {
			return
		}
		a, err := ParseAction(s)
		switch {
		case err != nil:
			errorf(key, "%v", err)
		default:
			pd.actions[kind] = a
		}
	}
	count := func(key string, v int) int {
		if v < 0 {
			errorf(key, "must be positive")
			return 0
		}
		return v
	}
	cfg := personal.Config{
		MyNumberMin:   count("personal_data.my_number.min", c.MyNumber.Min),
		CardMin:       count("personal_data.card.min", c.Card.Min),
		PeopleMinRows: count("personal_data.people.min", c.People.Min),
	}
	if cfg.PeopleMinRows > 0 && cfg.PeopleMinRows < 2 {
		warnf("personal_data.people.min", "a list of one person fires on every signature block; 5 is the default")
	}
	action("personal_data.my_number.action", personal.KindMyNumber, c.MyNumber.Action)
	action("personal_data.card.action", personal.KindCard, c.Card.Action)
	action("personal_data.people.action", personal.KindPeople, c.People.Action)
	names := map[string]bool{}
	for i, pc := range c.Patterns {
		key := "personal_data.patterns[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(pc.Name) == "" {
			errorf(key+".name", "a pattern needs a name (shown to the sender, e.g. 会員番号)")
		} else if names[pc.Name] {
			errorf(key+".name", "pattern name %q is used twice", pc.Name)
		}
		names[pc.Name] = true
		re, err := regexp.Compile(pc.Regexp)
		switch {
		case pc.Regexp == "":
			errorf(key+".regexp", "a pattern needs a regular expression")
		case err != nil:
			errorf(key+".regexp", "not a regular expression: %v", err)
		case re.MatchString(""):
			errorf(key+".regexp", "%q matches the empty string: it would match everywhere", pc.Regexp)
			re = nil
		}
		if len(pc.Keywords) == 0 {
			warnf(key+".keywords", "no keywords: every match counts, with no context (false alarms are likely)")
		}
		var kws []string
		for _, k := range pc.Keywords {
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
				kws = append(kws, k)
			}
		}
		action(key+".action", personal.KindPattern+":"+pc.Name, pc.Action)
		if re != nil && err == nil {
			cfg.Patterns = append(cfg.Patterns, personal.Pattern{Name: pc.Name, Regexp: re, Keywords: kws, MinCount: count(key+".min", pc.Min)})
		}
	}
	pd.scanner = personal.New(cfg)
	return pd
}

// kindLabels name the kinds for the sender (the finding's Evidence).
var kindLabels = map[string]string{
	personal.KindMyNumber: "マイナンバー",
	personal.KindCard:     "クレジットカード番号",
	personal.KindPeople:   "個人の連絡先一覧",
}

// personalFindings scans the texts the recipient reads (not link
// addresses) for personal data, one finding per kind, with kind, count and
// masked fragments only.
func (p *Policy) personalFindings(m *inspect.Message, texts *messageTexts, r *rule) []Finding {
	norm := texts.nfkc()
	in := make([]personal.Text, 0, len(norm))
	for i, t := range m.Texts {
		if t.Kind == inspect.KindHTMLLink || i >= len(norm) {
			continue
		}
		in = append(in, personal.Text{Kind: t.Kind, Content: norm[i]})
	}
	var out []Finding
	for _, pf := range p.personal.scanner.Scan(in) {
		kind := pf.Kind
		if pf.Name != "" {
			kind += ":" + pf.Name
		}
		action := r.action
		if a, ok := p.personal.actions[kind]; ok {
			action = a
		}
		if action == Pass {
			continue
		}
		masked := strings.Join(pf.Masked, ", ")
		evidence := kindLabels[pf.Kind]
		if pf.Name != "" {
			evidence = pf.Name
		}
		f := Finding{
			Rule:     RulePersonalData,
			Action:   action,
			Evidence: evidence,
			Variant:  pf.Kind,
			Data: map[string]string{
				"Kind": pf.Kind, "Count": strconv.Itoa(pf.Count), "Masked": masked, "Where": pf.Where,
			},
			Detail: fmt.Sprintf("kind=%s count=%d where=%s", kind, pf.Count, pf.Where),
		}
		if pf.Name != "" {
			f.Data["Name"] = pf.Name
		}
		out = append(out, f)
	}
	return out
}
