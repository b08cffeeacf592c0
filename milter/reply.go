package milter

import (
	"fmt"
	"strings"

	gomilter "github.com/d--j/go-milter"

	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
)

// reply is a reply code with its text, as the MTA will say it.
type reply struct {
	code     uint16
	enhanced string
	text     string // lines separated by "\n", without codes
}

// response is the milter's reply-code action for r. The library writes the
// reply code on every line, with the continuation dashes, and repeats the
// first line's enhanced code on the others (RFC 2034).
func (r reply) response() *gomilter.Response {
	resp, err := gomilter.RejectWithCodeAndReason(r.code, r.enhanced+" "+r.text)
	if err != nil {
		// Only a code outside 400-599 or a text over 64 KB fails, and
		// neither is made here; stay safe all the same.
		if r.code >= 500 {
			return gomilter.RespReject
		}
		return gomilter.RespTempFail
	}
	return resp
}

// rejection is the smarthost's reject reply for a verdict: the same lines,
// "[rule-id] what was wrong; how to fix it (ref REF)", one per finding.
func rejection(p *policy.Policy, v *policy.Verdict, ref string) reply {
	e := smtpfilter.Rejection(p, v, ref)
	enhanced := fmt.Sprintf("%d.%d.%d", e.EnhancedCode[0], e.EnhancedCode[1], e.EnhancedCode[2])
	lines := strings.Split(e.Message, "\n")
	for i, l := range lines {
		// go-smtp puts the code on the last line only; the earlier ones
		// carry it in their text.
		lines[i] = strings.TrimPrefix(l, enhanced+" ")
	}
	return reply{code: uint16(e.Code), enhanced: enhanced, text: strings.Join(lines, "\n")}
}

// tempfailReply is our own trouble: no detail leaks, the reference finds
// the log line. The same text as the smarthost's.
func tempfailReply(ref string) reply {
	return reply{code: 451, enhanced: "4.3.0", text: fmt.Sprintf("Temporary local problem, please try again later (ref %s)", ref)}
}

// tempfail is tempfailReply as a milter response.
func tempfail(ref string) *gomilter.Response { return tempfailReply(ref).response() }
