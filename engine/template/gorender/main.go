// tuneforge-gorender renders Ollama chat templates with Go's own text/template, preparing the
// data the way Ollama does, so Tuneforge can prove that a derived TEMPLATE produces the same
// prompt as the model's Jinja chat template.
//
// Protocol: one JSON request on stdin, one JSON answer on stdout.
//
//	request  {"jobs": [{"template": "...", "messages": [...], "tools": [...],
//	                    "think": null|true|false|"high", "now": "2006-01-02T15:04:05"}]}
//	answer   {"protocol": 1, "results": [{"output": "...", "error": "...", "vars": [...],
//	                    "uses_messages": true, "thinking_open": "<think>", "thinking_close": "</think>"}]}
//
// `tuneforge-gorender --version` prints {"protocol": 1, "source": "<hash>"}.
//
// Every data-preparation rule below follows Ollama's source; the file each rule comes from is
// named in the comment above it. Standard library only, so it builds offline.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// protocol is bumped whenever the request/answer format changes.
const protocol = 1

// sourceHash is set at build time (-ldflags "-X main.sourceHash=...").
var sourceHash = "dev"

// ---------------------------------------------------------------- input shapes

type inToolCall struct {
	ID       string `json:"id"`
	Function struct {
		Index     int            `json:"index"`
		Name      string         `json:"name"`
		Arguments map[string]any `json:"arguments"`
	} `json:"function"`
}

type inMessage struct {
	Role       string       `json:"role"`
	Content    string       `json:"content"`
	Thinking   string       `json:"thinking"`
	ToolCalls  []inToolCall `json:"tool_calls"`
	ToolName   string       `json:"tool_name"`
	ToolCallID string       `json:"tool_call_id"`
}

type job struct {
	Template string          `json:"template"`
	Messages []inMessage     `json:"messages"`
	Tools    []templateTool  `json:"tools"`
	Think    json.RawMessage `json:"think"`
	Now      string          `json:"now"`
}

type result struct {
	Output        string   `json:"output"`
	Error         string   `json:"error,omitempty"`
	Vars          []string `json:"vars"`
	UsesMessages  bool     `json:"uses_messages"`
	ThinkingOpen  string   `json:"thinking_open"`
	ThinkingClose string   `json:"thinking_close"`
}

// ---------------------------------------------------------------- template data shapes
//
// Ollama executes templates over template-specific copies of its API types
// (template/template.go: templateMessage, templateToolCall, templateTool ...). Field names
// and String() behaviour matter: `{{ .Function.Arguments }}` prints JSON, a missing field on
// a struct is an execution error while a missing map key is a zero value.

type templateArgs map[string]any

func (a templateArgs) String() string {
	if a == nil {
		return "{}"
	}
	b, _ := json.Marshal(map[string]any(a))
	return string(b)
}

type templateToolCallFunction struct {
	Index     int
	Name      string
	Arguments templateArgs
}

type templateToolCall struct {
	ID       string
	Function templateToolCallFunction
}

type templateMessage struct {
	Role       string
	Content    string
	Thinking   string
	Images     []string
	ToolCalls  []templateToolCall
	ToolName   string
	ToolCallID string
}

// propertyType marshals a single type as a string and several as a list (api/types.go PropertyType).
type propertyType []string

func (p *propertyType) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*p = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return err
	}
	*p = many
	return nil
}

func (p propertyType) MarshalJSON() ([]byte, error) {
	if len(p) == 1 {
		return json.Marshal(p[0])
	}
	return json.Marshal([]string(p))
}

func (p propertyType) String() string {
	switch len(p) {
	case 0:
		return ""
	case 1:
		return p[0]
	}
	return fmt.Sprintf("%v", []string(p))
}

// toolProperty has the field order of api/types.go ToolProperty, so json output matches.
type toolProperty struct {
	AnyOf       []toolProperty   `json:"anyOf,omitempty"`
	Type        propertyType     `json:"type,omitempty"`
	Items       any              `json:"items,omitempty"`
	Description string           `json:"description,omitempty"`
	Enum        []any            `json:"enum,omitempty"`
	Properties  *json.RawMessage `json:"properties,omitempty"`
	Required    []string         `json:"required,omitempty"`
}

// toTypeScriptType mirrors api/types.go ToolProperty.ToTypeScriptType.
func (p toolProperty) toTypeScriptType() string {
	if len(p.AnyOf) > 0 {
		parts := make([]string, 0, len(p.AnyOf))
		for _, alt := range p.AnyOf {
			parts = append(parts, alt.toTypeScriptType())
		}
		return strings.Join(parts, " | ")
	}
	if len(p.Type) == 0 {
		return "any"
	}
	parts := make([]string, 0, len(p.Type))
	for _, t := range p.Type {
		parts = append(parts, jsonSchemaToTypeScript(t))
	}
	return strings.Join(parts, " | ")
}

func jsonSchemaToTypeScript(t string) string {
	switch t {
	case "string":
		return "string"
	case "number", "integer":
		return "number"
	case "boolean":
		return "boolean"
	case "array":
		return "any[]"
	case "object":
		return "Record<string, any>"
	case "null":
		return "null"
	}
	return "any"
}

type templateProperties map[string]toolProperty

func (p templateProperties) String() string {
	if p == nil {
		return "{}"
	}
	b, _ := json.Marshal(map[string]toolProperty(p))
	return string(b)
}

type templateToolFunctionParameters struct {
	Type       string             `json:"type"`
	Defs       any                `json:"$defs,omitempty"`
	Items      any                `json:"items,omitempty"`
	Required   []string           `json:"required,omitempty"`
	Properties templateProperties `json:"properties"`
}

type templateToolFunction struct {
	Name        string                         `json:"name"`
	Description string                         `json:"description"`
	Parameters  templateToolFunctionParameters `json:"parameters"`
}

type templateTool struct {
	Type     string               `json:"type"`
	Items    any                  `json:"items,omitempty"`
	Function templateToolFunction `json:"function"`
}

func (t templateTool) String() string {
	b, _ := json.Marshal(t)
	return string(b)
}

type templateTools []templateTool

func (t templateTools) String() string {
	b, _ := json.Marshal([]templateTool(t))
	return string(b)
}

// ---------------------------------------------------------------- functions

// funcMap provides the functions Ollama registers (template/template.go `funcs`).
// currentDate/yesterdayDate accept and ignore a format argument and print YYYY-MM-DD.
func funcMap(now time.Time) template.FuncMap {
	return template.FuncMap{
		"json": func(v any) string {
			b, _ := json.Marshal(v)
			return string(b)
		},
		"currentDate": func(args ...string) string {
			return now.Format("2006-01-02")
		},
		"yesterdayDate": func(args ...string) string {
			return now.AddDate(0, 0, -1).Format("2006-01-02")
		},
		"toTypeScriptType": func(v any) string {
			switch p := v.(type) {
			case toolProperty:
				return p.toTypeScriptType()
			case *toolProperty:
				if p != nil {
					return p.toTypeScriptType()
				}
			}
			return "any"
		},
	}
}

// ---------------------------------------------------------------- Ollama's preparation

// collate follows template/template.go `collate`: every system message is collected into the
// returned system text (joined with "\n\n") AND kept in the message list; consecutive messages
// of the same role are merged with "\n\n" between contents, except tool messages.
func collate(msgs []inMessage) (string, []*inMessage) {
	var system []string
	var out []*inMessage
	for i := range msgs {
		if msgs[i].Role == "system" {
			system = append(system, msgs[i].Content)
		}
		if len(out) > 0 && out[len(out)-1].Role == msgs[i].Role && msgs[i].Role != "tool" {
			out[len(out)-1].Content += "\n\n" + msgs[i].Content
		} else {
			out = append(out, &msgs[i])
		}
	}
	return strings.Join(system, "\n\n"), out
}

// toTemplateMessages follows template/template.go `convertMessagesForTemplate`.
func toTemplateMessages(msgs []*inMessage) []*templateMessage {
	if msgs == nil {
		return nil
	}
	out := make([]*templateMessage, len(msgs))
	for i, m := range msgs {
		var calls []templateToolCall
		for _, c := range m.ToolCalls {
			calls = append(calls, templateToolCall{
				ID: c.ID,
				Function: templateToolCallFunction{
					Index:     c.Function.Index,
					Name:      c.Function.Name,
					Arguments: templateArgs(c.Function.Arguments),
				},
			})
		}
		out[i] = &templateMessage{
			Role:       m.Role,
			Content:    m.Content,
			Thinking:   m.Thinking,
			ToolCalls:  calls,
			ToolName:   m.ToolName,
			ToolCallID: m.ToolCallID,
		}
	}
	return out
}

// thinkValues follows server/prompt.go `renderPrompt` and api/types.go ThinkValue:
// Think = Bool(), ThinkLevel = String(), IsThinkSet = (think != nil).
func thinkValues(raw json.RawMessage) (bool, string, bool, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return false, "", false, nil
	}
	var b bool
	if err := json.Unmarshal(trimmed, &b); err == nil {
		level := ""
		if b {
			level = "medium"
		}
		return b, level, true, nil
	}
	var s string
	if err := json.Unmarshal(trimmed, &s); err != nil {
		return false, "", false, fmt.Errorf("think must be null, a bool or a string")
	}
	on := s == "high" || s == "medium" || s == "low" || s == "max"
	return on, s, true, nil
}

// identifiers lists field and variable names used by the template, lower-cased and sorted,
// like template/template.go `Vars`/`Identifiers`.
func identifiers(t *template.Template) []string {
	seen := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch x := n.(type) {
		case *parse.ListNode:
			if x == nil {
				return
			}
			for _, c := range x.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(x.Pipe)
		case *parse.TemplateNode:
			walk(x.Pipe)
		case *parse.IfNode:
			walk(&x.BranchNode)
		case *parse.RangeNode:
			walk(&x.BranchNode)
		case *parse.WithNode:
			walk(&x.BranchNode)
		case *parse.BranchNode:
			walk(x.Pipe)
			walk(x.List)
			if x.ElseList != nil {
				walk(x.ElseList)
			}
		case *parse.PipeNode:
			if x == nil {
				return
			}
			for _, c := range x.Cmds {
				for _, a := range c.Args {
					walk(a)
				}
			}
		case *parse.FieldNode:
			for _, id := range x.Ident {
				seen[strings.ToLower(id)] = true
			}
		case *parse.VariableNode:
			for _, id := range x.Ident {
				seen[strings.ToLower(id)] = true
			}
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			walk(tt.Tree.Root)
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// thinkingTags applies the heuristic of thinking/template.go `InferTags`: find `.Thinking`
// inside a `range` over `.Messages`, go up to the nearest list node and take its first and
// last text nodes (trimmed) as the opening and closing tags. Ollama only treats a model as
// thinking-capable when both are non-empty.
func thinkingTags(t *template.Template) (string, string) {
	open, close := "", ""
	var stack []parse.Node
	var visit func(n parse.Node)
	visit = func(n parse.Node) {
		if n == nil {
			return
		}
		stack = append(stack, n)
		defer func() { stack = stack[:len(stack)-1] }()
		switch x := n.(type) {
		case *parse.FieldNode:
			if len(x.Ident) > 0 && x.Ident[0] == "Thinking" {
				var rng *parse.RangeNode
				for i := len(stack) - 1; i >= 0; i-- {
					if r, ok := stack[i].(*parse.RangeNode); ok {
						rng = r
						break
					}
				}
				if rng == nil || !pipeUsesField(rng.Pipe, "Messages") {
					return
				}
				for i := len(stack) - 1; i >= 0; i-- {
					if l, ok := stack[i].(*parse.ListNode); ok {
						if tn, ok := l.Nodes[0].(*parse.TextNode); ok {
							open = strings.TrimSpace(tn.String())
						}
						if tn, ok := l.Nodes[len(l.Nodes)-1].(*parse.TextNode); ok {
							close = strings.TrimSpace(tn.String())
						}
						break
					}
				}
			}
		case *parse.ListNode:
			for _, c := range x.Nodes {
				visit(c)
			}
		case *parse.BranchNode:
			if x.Pipe != nil {
				visit(x.Pipe)
			}
			if x.List != nil {
				visit(x.List)
			}
			if x.ElseList != nil {
				visit(x.ElseList)
			}
		case *parse.ActionNode:
			visit(x.Pipe)
		case *parse.IfNode:
			visit(&x.BranchNode)
		case *parse.RangeNode:
			visit(&x.BranchNode)
		case *parse.WithNode:
			visit(&x.BranchNode)
		case *parse.TemplateNode:
			if x.Pipe != nil {
				visit(x.Pipe)
			}
		case *parse.PipeNode:
			for _, c := range x.Cmds {
				visit(c)
			}
		case *parse.CommandNode:
			for _, a := range x.Args {
				visit(a)
			}
		}
	}
	visit(t.Tree.Root)
	return open, close
}

func pipeUsesField(p *parse.PipeNode, field string) bool {
	if p == nil {
		return false
	}
	for _, c := range p.Cmds {
		for _, a := range c.Args {
			switch x := a.(type) {
			case *parse.FieldNode:
				if len(x.Ident) > 0 && x.Ident[0] == field {
					return true
				}
			case *parse.PipeNode:
				if pipeUsesField(x, field) {
					return true
				}
			}
		}
	}
	return false
}

func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad now %q (want 2006-01-02T15:04:05)", s)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// render parses and executes one template like template/template.go `Parse` + `Execute`
// (the .Messages path: templates that mention Messages are rendered once over the history).
func render(j job) (res result) {
	res.Vars = []string{}
	defer func() {
		if r := recover(); r != nil {
			res.Error = fmt.Sprintf("renderer panic: %v", r)
		}
	}()
	now, err := parseNow(j.Now)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	// template/template.go Parse: missingkey=zero and Ollama's functions.
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(funcMap(now)).Parse(j.Template)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Vars = identifiers(tmpl)
	res.UsesMessages = contains(res.Vars, "messages")
	res.ThinkingOpen, res.ThinkingClose = thinkingTags(tmpl)
	if !res.UsesMessages {
		res.Error = "template does not use .Messages (legacy .Prompt templates are replayed per turn by Ollama; this renderer only runs .Messages templates)"
		return res
	}
	think, level, isSet, err := thinkValues(j.Think)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	system, msgs := collate(j.Messages)
	var tools templateTools
	if j.Tools != nil {
		tools = templateTools(j.Tools)
	}
	// template/template.go Execute: the map handed to a .Messages template.
	data := map[string]any{
		"System":     system,
		"Messages":   toTemplateMessages(msgs),
		"Tools":      tools,
		"Response":   "",
		"Think":      think,
		"ThinkLevel": level,
		"IsThinkSet": isSet,
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		res.Error = err.Error()
		return res
	}
	res.Output = out.String()
	return res
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		b, _ := json.Marshal(map[string]any{"protocol": protocol, "source": sourceHash})
		fmt.Println(string(b))
		return
	}
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "read stdin:", err)
		os.Exit(2)
	}
	var req struct {
		Jobs []job `json:"jobs"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		fmt.Fprintln(os.Stderr, "bad request:", err)
		os.Exit(2)
	}
	results := make([]result, len(req.Jobs))
	for i, j := range req.Jobs {
		results[i] = render(j)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"protocol": protocol, "results": results}); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		os.Exit(2)
	}
}
