package evaluate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// validJSON passes when the text is one JSON value.
type validJSON struct {
	name, field string
}

func (e *validJSON) Name() string { return e.name }

func (e *validJSON) Evaluate(_ context.Context, s Subject) (Result, error) {
	if why := jsonProblem(text(&s, e.field)); why != "" {
		return Result{Evaluator: e.name, Score: 0, Reason: label(e.field) + " " + why}, nil
	}
	return Result{Evaluator: e.name, Score: 1, Pass: true, Reason: label(e.field) + " is valid JSON"}, nil
}

// jsonProblem says why t is not one JSON value, or "".
func jsonProblem(t string) string {
	if strings.TrimSpace(t) == "" {
		return "is empty, not JSON"
	}
	var v any
	err := json.Unmarshal([]byte(t), &v)
	if err == nil {
		return ""
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("is not valid JSON: %s (at byte %d)", se.Error(), se.Offset)
	}
	return "is not valid JSON: " + err.Error()
}

// jsonSchema passes when the text is JSON that the schema accepts.
type jsonSchema struct {
	name, field string
	schema      *jsonschema.Schema
	printer     *message.Printer // the schema library's messages, in English
}

func newJSONSchema(cfg Config) (*jsonSchema, error) {
	doc, err := cfg.schemaDocument()
	if err != nil {
		return nil, err
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	const url = "mem://evaluator/schema.json"
	if err := c.AddResource(url, parsed); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return &jsonSchema{name: cfg.Name, field: cfg.field(), schema: sch,
		printer: message.NewPrinter(language.English)}, nil
}

func (e *jsonSchema) Name() string { return e.name }

func (e *jsonSchema) Evaluate(_ context.Context, s Subject) (Result, error) {
	t := text(&s, e.field)
	if why := jsonProblem(t); why != "" {
		return Result{Evaluator: e.name, Score: 0, Reason: label(e.field) + " " + why}, nil
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(t))
	if err != nil {
		return Result{Evaluator: e.name, Score: 0, Reason: label(e.field) + " is not valid JSON: " + err.Error()}, nil
	}
	if err := e.schema.Validate(inst); err != nil {
		return Result{Evaluator: e.name, Score: 0,
			Reason: label(e.field) + " does not match the schema: " + clip(schemaError(err, e.printer), 400)}, nil
	}
	return Result{Evaluator: e.name, Score: 1, Pass: true, Reason: label(e.field) + " matches the schema"}, nil
}

// schemaError flattens a validation error to its leaf causes, one line.
func schemaError(err error, p *message.Printer) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			leaves = append(leaves, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(p)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(leaves, "; ")
}
