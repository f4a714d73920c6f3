package normalize

// Langfuse: the observation input/output, when it is a conversation.

func langfuseInput(v *view, t *taker) {
	if lm, _, ok := lfMessages(v, lfInput, "user"); ok {
		t.ms, t.found = lm, true
	}
}

func langfuseOutput(v *view, t *taker) {
	if lm, lf, ok := lfMessages(v, lfOutput, "assistant"); ok {
		t.ms, t.finish, t.found = lm, lf, true
	}
}
