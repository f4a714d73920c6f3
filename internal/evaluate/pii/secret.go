package pii

import (
	"regexp"
	"strings"
)

// secretFormats are API keys and tokens with a recognisable shape. Each
// pattern's first group, when present, is the part checked for being a
// placeholder.
var secretFormats = []struct {
	detail string
	// hints are literals one of which every match contains: the regex
	// runs only on texts that hold one.
	hints []string
	re    *regexp.Regexp
}{
	{"private_key", []string{"PRIVATE KEY"}, regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`)},
	{"anthropic_key", []string{"sk-ant-"}, regexp.MustCompile(`\bsk-ant-(?:[a-z]+\d*-)?([A-Za-z0-9_-]{32,})`)},
	{"openai_key", []string{"sk-"}, regexp.MustCompile(`\bsk-(?:proj|svcacct|admin|None)-([A-Za-z0-9_-]{32,})`)},
	{"openai_key", []string{"sk-"}, regexp.MustCompile(`\bsk-([A-Za-z0-9]{32,})\b`)},
	{"aws_access_key", []string{"AKIA", "ASIA", "ABIA", "ACCA", "AROA", "AIDA"}, regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)([A-Z0-9]{16})\b`)},
	{"aws_secret_key", []string{"ecret", "ECRET"}, regexp.MustCompile(`(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})\b`)},
	{"github_token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, regexp.MustCompile(`\bgh[pousr]_([A-Za-z0-9]{36,255})\b`)},
	{"github_token", []string{"github_pat_"}, regexp.MustCompile(`\bgithub_pat_([A-Za-z0-9_]{60,255})\b`)},
	{"slack_token", []string{"xox"}, regexp.MustCompile(`\bxox[abposre]-([A-Za-z0-9-]{10,250})`)},
	{"slack_webhook", []string{"hooks.slack.com"}, regexp.MustCompile(`https://hooks\.slack\.com/services/(T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,})`)},
	{"stripe_key", []string{"_live_", "_test_"}, regexp.MustCompile(`\b(?:sk|rk)_(?:live|test)_([A-Za-z0-9]{20,247})\b`)},
	{"google_api_key", []string{"AIza"}, regexp.MustCompile(`\bAIza([0-9A-Za-z_-]{35})`)},
	{"jwt", []string{"eyJ"}, regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ([A-Za-z0-9_-]{8,})\.[A-Za-z0-9_-]{16,}`)},
}

func findSecrets(_ *Detector, sc *scan) []Finding {
	text, taken := sc.text, &sc.taken
	var out []Finding
	for _, sf := range secretFormats {
		hinted := false
		for _, h := range sf.hints {
			hinted = hinted || strings.Contains(text, h)
		}
		if !hinted {
			continue
		}
		for _, m := range sf.re.FindAllStringSubmatchIndex(text, -1) {
			if taken.overlaps(m[0], m[1]) {
				continue
			}
			if len(m) >= 4 && m[2] >= 0 && placeholder(text[m[2]:m[3]]) {
				continue
			}
			f := Finding{Kind: Secret, Start: m[0], End: m[1], Detail: sf.detail}
			out = append(out, f)
			taken.add(f.Start, f.End)
		}
	}
	return out
}

// placeholder reports key bodies from documentation rather than real keys:
// the AWS docs' EXAMPLE keys, runs of x or *, "your-key-here", and bodies
// with too few distinct characters to be random.
func placeholder(body string) bool {
	lower := strings.ToLower(body)
	for _, w := range []string{"example", "xxxxxx", "******", "your", "placeholder", "redacted", "dummy"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	distinct := map[rune]bool{}
	for _, r := range body {
		distinct[r] = true
	}
	return len(distinct) < min(10, len(body)/2)
}
