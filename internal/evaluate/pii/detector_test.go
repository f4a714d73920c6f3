package pii

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func kindsOf(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		s := string(f.Kind)
		if f.Detail != "" {
			s += "/" + f.Detail
		}
		out = append(out, s)
	}
	return out
}

func TestFindReportsKindDetailAndRange(t *testing.T) {
	d, err := New(Config{})
	require.NoError(t, err)
	text := "Mail ann@example.org, card 4111 1111 1111 1111, key AKIAXSY0VDVEVG9YSQJV."
	fs := d.Find(text)
	assert.Equal(t, []string{"email", "credit_card/visa", "secret/aws_access_key"}, kindsOf(fs))
	assert.Equal(t, "ann@example.org", text[fs[0].Start:fs[0].End])
	assert.Equal(t, "4111 1111 1111 1111", text[fs[1].Start:fs[1].End])
	assert.Equal(t, "AKIAXSY0VDVEVG9YSQJV", text[fs[2].Start:fs[2].End])
	assert.Equal(t, "4111111111111111", fs[1].Normalized(text))
	assert.Equal(t, map[Kind]int{Email: 1, Card: 1, Secret: 1}, d.Count(text))
}

func TestKindsSelectAndStillClaim(t *testing.T) {
	d, err := New(Config{Kinds: []string{"phone"}})
	require.NoError(t, err)
	// The IBAN's digits would parse as a number; a disabled kind still
	// claims its text so they are not reported as a phone.
	assert.Empty(t, d.Find("IBAN DE89 3704 0044 0532 0130 00"))
	assert.Empty(t, d.Find("write to ann@example.org"))
	assert.Equal(t, []string{"phone/DE"}, kindsOf(d.Find("Tel. 030 901820")))
}

func TestPhoneRegions(t *testing.T) {
	us, err := New(Config{PhoneRegions: []string{"us"}})
	require.NoError(t, err)
	assert.Empty(t, us.Find("Ruf an: 030 901820"), "German national format is not a US number")
	assert.NotEmpty(t, us.Find("Ruf an: +49 30 901820"), "international formats work for every region")
	assert.NotEmpty(t, us.Find("call (212) 736-5000"))
}

func TestLuhn(t *testing.T) {
	for _, n := range []string{"4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "79927398713"} {
		assert.True(t, luhn(n), n)
	}
	for _, n := range []string{"4111111111111112", "5555555555554440", "79927398710"} {
		assert.False(t, luhn(n), n)
	}
}

func TestCardShapes(t *testing.T) {
	d, _ := New(Config{Kinds: []string{"credit_card"}})
	for text, want := range map[string]bool{
		"4111111111111111":        true,
		"4111 1111 1111 1111":     true,
		"4111-1111-1111-1111":     true,
		"3782 822463 10005":       true,  // Amex 4-6-5
		"4111 1111-1111 1111":     false, // mixed separators
		"41 11 11 11 11 11 11 11": false, // not a printed grouping
		"4111111111111111.5":      false, // a decimal
		"v4111111111111111":       false, // inside a token
		"1111111111111117":        false, // Luhn-valid, no network starts with 1
		"4111111111111112":        false, // Luhn fails
	} {
		assert.Equal(t, want, len(d.Find(text)) == 1, text)
	}
}

func TestIBAN(t *testing.T) {
	assert.True(t, mod97([]byte("GB82WEST12345698765432")))
	assert.False(t, mod97([]byte("GB83WEST12345698765432")))
	d, _ := New(Config{Kinds: []string{"iban"}})
	for text, want := range map[string]bool{
		"GB82 WEST 1234 5698 7654 32":     true,
		"GB82WEST12345698765432":          true,
		"GB82WEST12345698765432 BIC WEST": true,  // the next word is not part of it
		"GB82WEST123456987654321":         false, // one character too many
		"GB82WEST1234569876543":           false, // one too few
		"XX82WEST12345698765432":          false, // no such country
		"gb82west12345698765432":          false, // IBANs are written in capitals
	} {
		assert.Equal(t, want, len(d.Find(text)) == 1, text)
	}
}

func TestSSNRules(t *testing.T) {
	d, _ := New(Config{Kinds: []string{"us_ssn"}})
	for text, want := range map[string]bool{
		"SSN 536-22-1234":       true,
		"SSN 536 22 1234":       true,
		"SSN 536-22 1234":       false, // mixed separators
		"SSN 000-22-1234":       false, // area 000
		"SSN 666-22-1234":       false, // area 666
		"SSN 936-22-1234":       false, // area 900-999 (ITINs)
		"SSN 536-00-1234":       false, // group 00
		"SSN 536-22-0000":       false, // serial 0000
		"SSN 078-05-1120":       false, // the Woolworth card
		"ssn: 536221234":        true,  // bare nine digits after "ssn"
		"order 536221234":       false, // bare nine digits, no SSN context
		"SSN 536-22-1234-5":     false, // part of a longer number
		"call 536-22-1234 back": true,  // the shape is an SSN's
	} {
		assert.Equal(t, want, len(d.Find(text)) == 1, text)
	}
}

func TestSecretsSkipPlaceholders(t *testing.T) {
	d, _ := New(Config{Kinds: []string{"secret"}})
	for text, want := range map[string]string{
		"sk-proj-" + repeat("aB3dE5gH7j", 5):            "secret/openai_key",
		"sk-ant-api03-" + repeat("Zx9_Qw8-Er7T", 8):     "secret/anthropic_key",
		"ghp_" + repeat("A1b2C3d4E5f6", 3):              "secret/github_token",
		"xoxb-123456789012-1234567890123-AbCdEf123456":  "secret/slack_token",
		"sk_live_" + repeat("Ab1Cd2Ef3G", 3):            "secret/stripe_key",
		"AIza" + repeat("Sy9_x-K2mQ7", 3) + "ab":        "secret/google_api_key",
		"-----BEGIN ENCRYPTED PRIVATE KEY-----":         "secret/private_key",
		"AKIAIOSFODNN7EXAMPLE":                          "",
		"sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx":  "",
		"sk_test_YOUR_SECRET_KEY_HERE_1234567890":       "",
		"-----BEGIN PUBLIC KEY-----":                    "",
		"eyJhbGciOiJIUzI1NiJ9.notapayload.signature123": "",
	} {
		got := ""
		if fs := d.Find(text); len(fs) == 1 {
			got = kindsOf(fs)[0]
		}
		assert.Equal(t, want, got, text)
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestEmailEdges(t *testing.T) {
	d, _ := New(Config{Kinds: []string{"email"}})
	for text, want := range map[string]string{
		"mail: 'ann.o'neil@example.ie'": "ann.o'neil@example.ie",
		"(bob@example.com)":             "bob@example.com",
		"jürgen@müller.de":              "jürgen@müller.de",
		"asset icon@2x.png":             "",
		"npm i lodash@4.17.21":          "",
		"git@github.com:org/repo.git":   "",
		"root@localhost":                "",
	} {
		got := ""
		if fs := d.Find(text); len(fs) == 1 {
			got = text[fs[0].Start:fs[0].End]
		}
		assert.Equal(t, want, got, fmt.Sprintf("%q", text))
	}
}

func TestConfigValidate(t *testing.T) {
	assert.NoError(t, Config{Kinds: []string{"email", "secret"}, PhoneRegions: []string{"de", "US"}}.Validate())
	assert.ErrorContains(t, Config{Kinds: []string{"passport"}}.Validate(), `kinds[0]: unknown "passport"`)
	assert.ErrorContains(t, Config{PhoneRegions: []string{"ZZ"}}.Validate(), `phone_regions[0]: unknown region "ZZ"`)
	_, err := New(Config{Kinds: []string{"x"}})
	assert.Error(t, err)
}

func TestReferenceWords(t *testing.T) {
	for before, want := range map[string]bool{
		"Your order #":              true,
		"Order number is ":          true,
		"Kundennummer: ":            true,
		"Die Bestellnummer lautet ": true,
		"ref: ":                     true,
		"#":                         true,
		"My phone number is ":       false,
		"Telefonnummer: ":           false,
		"callback number: ":         false,
		"Call me at ":               false,
		"I paid ":                   false,
	} {
		assert.Equal(t, want, reference(before), "%q", before)
	}
	assert.True(t, announced("you can call me on "))
	assert.True(t, announced("Sie erreichen mich mobil unter "))
	assert.False(t, announced("the total is "))
}
