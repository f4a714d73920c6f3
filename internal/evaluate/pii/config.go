// Package pii finds personal data and secrets in text: e-mail addresses,
// phone numbers (validated against libphonenumber's metadata), payment
// cards (Luhn and issuer prefixes), IBANs (country length and mod-97), US
// social security numbers (SSA area/group/serial rules) and common API
// keys and private keys. Findings carry kind and position, never a copy
// of the value, so callers can report counts without leaking the data.
package pii

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Kind is a category of personal data or secret.
type Kind string

// The kinds a Detector finds.
const (
	Email  Kind = "email"
	Phone  Kind = "phone"
	Card   Kind = "credit_card"
	IBAN   Kind = "iban"
	SSN    Kind = "us_ssn"
	Secret Kind = "secret"
)

// Kinds lists every kind, in reporting order.
var Kinds = []Kind{Email, Phone, Card, IBAN, SSN, Secret}

// DefaultPhoneRegions are the regions whose national phone formats (no +
// or 00 prefix) are recognised by default: North America and the larger
// European markets. International formats are recognised for every region.
var DefaultPhoneRegions = []string{"US", "GB", "DE", "FR", "ES", "IT", "NL", "IN"}

// Config selects what a Detector finds.
type Config struct {
	// Kinds to detect, as Kind strings; empty: all.
	Kinds []string
	// PhoneRegions are ISO 3166-1 alpha-2 codes; empty: DefaultPhoneRegions.
	PhoneRegions []string
}

// Validate reports an unknown kind or region, naming the YAML field.
func (c Config) Validate() error {
	for i, k := range c.Kinds {
		if !slices.Contains(Kinds, Kind(k)) {
			names := make([]string, len(Kinds))
			for j, k := range Kinds {
				names[j] = string(k)
			}
			return fmt.Errorf("kinds[%d]: unknown %q (%s)", i, k, strings.Join(names, ", "))
		}
	}
	for i, r := range c.PhoneRegions {
		if phonenumbers.GetCountryCodeForRegion(strings.ToUpper(r)) == 0 {
			return fmt.Errorf("phone_regions[%d]: unknown region %q", i, r)
		}
	}
	return nil
}
