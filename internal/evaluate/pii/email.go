package pii

import (
	"regexp"
	"strings"
)

// emailRE is an address as people write it in text: a dot-atom local part
// (letters of any script) and a domain with an alphabetic top-level label.
var emailRE = regexp.MustCompile(`[\p{L}\p{N}_.%+\-']+@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*\.\p{L}{2,24}`)

// fileExts are "top-level domains" that are really file extensions, as in
// icon@2x.png or logo@3x.webp (retina asset names).
var fileExts = map[string]bool{
	"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "ico": true,
	"bmp": true, "js": true, "mjs": true, "ts": true, "tsx": true, "jsx": true, "css": true,
	"scss": true, "json": true, "yaml": true, "yml": true, "txt": true, "pdf": true, "zip": true,
	"gz": true, "html": true, "htm": true, "wasm": true, "map": true, "lock": true,
}

func findEmails(_ *Detector, sc *scan) []Finding {
	text, taken := sc.text, &sc.taken
	// Look only around each '@': a local part has at most 64 characters
	// (RFC 5321), a domain at most 255 bytes.
	var ats []int
	for i := 0; i < len(text); i++ {
		if text[i] == '@' {
			ats = append(ats, i)
		}
	}
	var out []Finding
	for _, m := range matchIn(emailRE, text, around(text, ats, 64*4, 256)) {
		s, e := m[0], m[1]
		// Trim punctuation the local-part class allows at the edges.
		for s < e && strings.ContainsRune(".'-", rune(text[s])) {
			s++
		}
		at := strings.IndexByte(text[s:e], '@') + s
		local, domain := text[s:at], text[at+1:e]
		if local == "" || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
			continue
		}
		if e < len(text) && (isWordByte(text[e]) || text[e] == '@') {
			continue // part of a longer token
		}
		tld := strings.ToLower(domain[strings.LastIndexByte(domain, '.')+1:])
		if fileExts[tld] {
			continue
		}
		// git@github.com:org/repo is an SSH remote, not a person.
		if local == "git" && e < len(text) && text[e] == ':' {
			continue
		}
		if taken.overlaps(s, e) {
			continue
		}
		out = append(out, Finding{Kind: Email, Start: s, End: e})
	}
	return out
}
