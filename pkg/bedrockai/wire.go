package bedrockai

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The Converse API's request and reply, as JSON, reduced to the members the provider uses. The
// request's members are declared in alphabetical order, the order the SDK's serializer wrote
// them in, so that a request is the same bytes it was when the SDK's client sent it (the golden
// files check this).

// converseRequest is the body of POST /model/{modelId}/converse. The model id travels in the
// path only.
type converseRequest struct {
	InferenceConfig inferenceConfig `json:"inferenceConfig"`
	Messages        []message       `json:"messages"`
	System          []textBlock     `json:"system"`
	// Left out, not empty, when no tool is offered.
	ToolConfig *toolConfig `json:"toolConfig,omitempty"`
}

type inferenceConfig struct {
	MaxTokens   int32   `json:"maxTokens"`
	Temperature float32 `json:"temperature"`
}

// Roles of a message.
const (
	roleUser      = "user"
	roleAssistant = "assistant"
)

type message struct {
	Content []textBlock `json:"content"`
	Role    string      `json:"role"`
}

// textBlock is a content block or system block holding text, the only kind the provider sends.
type textBlock struct {
	Text text `json:"text"`
}

type toolConfig struct {
	Tools []tool `json:"tools"`
}

type tool struct {
	ToolSpec toolSpec `json:"toolSpec"`
}

type toolSpec struct {
	Description text        `json:"description"`
	InputSchema inputSchema `json:"inputSchema"`
	Name        string      `json:"name"`
}

// inputSchema holds a JSON Schema. A map, because encoding/json writes a map's keys sorted, as
// the SDK wrote a document's.
type inputSchema struct {
	JSON map[string]any `json:"json"`
}

// encode returns the request's body. It does not escape <, > and &, which the SDK left as they
// are and which the model reads better unescaped.
func (r *converseRequest) encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// converseResponse is a Converse reply. Members the provider does not read (usage, metrics,
// trace) are left out, and so are content blocks other than text and tool uses.
type converseResponse struct {
	Output struct {
		Message *struct {
			Content []contentBlock `json:"content"`
		} `json:"message"`
	} `json:"output"`
	StopReason string `json:"stopReason"`
}

type contentBlock struct {
	Text    *string  `json:"text"`
	ToolUse *toolUse `json:"toolUse"`
}

// toolUse is a tool use the model proposes; its input is decoded only once the tool is known.
type toolUse struct {
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

// text is a string the model reads, encoded as the SDK's serializer encoded strings rather than
// as encoding/json does: the two differ for backspace, form feed and DEL (escaped as \u0008,
// \u000c and \u007f) and for bytes that are not UTF-8 (each sent as U+FFFD itself, not as its
// escape). Facts are pasted from documents and carry such characters, and the request must stay
// what the model was given before.
type text string

// MarshalJSON implements json.Marshaler.
func (t text) MarshalJSON() ([]byte, error) {
	const hex = "0123456789abcdef"
	s := string(t)
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = utf8.AppendRune(b, utf8.RuneError)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not valid JavaScript string content; escaped by every encoder.
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"'), nil
}
