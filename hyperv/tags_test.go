package hyperv

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTags(t *testing.T) {
	tests := []struct {
		name  string
		notes string
		want  map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"equals and colon", "role=sql\r\nOwner: db-team\nrack = B ", map[string]string{"role": "sql", "owner": "db-team", "rack": "B"}},
		{"first separator wins", "url: http://x/y?a=b\nexpr=a:b", map[string]string{"url": "http://x/y?a=b", "expr": "a:b"}},
		{"prose and comments skipped", "Owner is Bob: call first\n# role=ignored\n=novalue\n: nokey\nplain line", map[string]string{}},
		{"later wins", "role=a\nROLE=b", map[string]string{"role": "b"}},
		{"empty value", "maintenance=", map[string]string{"maintenance": ""}},
		{"key characters", "app.kubernetes.io/name=web\nanti_affinity-group=sql\nkéy=x\n\u212aey=y", map[string]string{"app.kubernetes.io/name": "web", "anti_affinity-group": "sql"}},
		{"old mac line ends", "a=1\rb=2", map[string]string{"a": "1", "b": "2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseTags(tc.notes)); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}
