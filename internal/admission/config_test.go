package admission

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestConfigValidate(t *testing.T) {
	assert.NoError(t, (&Config{}).Validate())
	assert.NoError(t, (&Config{RequestLimitMiB: 64, WaitingLimitMiB: 16}).Validate())
	assert.ErrorContains(t, (&Config{RequestLimitMiB: -1}).Validate(), "request_limit_mib")
	assert.ErrorContains(t, (&Config{WaitingLimitMiB: -1}).Validate(), "waiting_limit_mib")
}
