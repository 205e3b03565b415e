package powershell

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// params is the decoded $a object; absent fields read as $null.
type params map[string]any

func decodeParams(s script) (params, *psError) {
	if !s.HasParams {
		return params{}, nil
	}
	raw, err := base64.StdEncoding.DecodeString(s.Params)
	if err != nil {
		return nil, &psError{
			Message:  []string{`Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters. "`},
			Category: "NotSpecified: (:) [], MethodInvocationException",
			ErrorID:  "FormatException",
		}
	}
	var p params
	if err := json.Unmarshal(raw, &p); err != nil || p == nil {
		return nil, &psError{
			Command:  "ConvertFrom-Json",
			Message:  []string{"Invalid JSON primitive: " + firstToken(string(raw)) + "."},
			Category: "NotSpecified: (:) [ConvertFrom-Json], ArgumentException",
			ErrorID:  "System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand",
		}
	}
	return p, nil
}

func firstToken(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// str reads a parameter as PowerShell would coerce it to a string.
func (p params) str(key string) (string, bool) {
	v, ok := p[key]
	if !ok || v == nil {
		return "", false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case float64, bool:
		b, _ := json.Marshal(t)
		return string(b), true
	}
	return "", false
}
