package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "alpha", "B_2": "beta", "EMPTY": ""}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "no reference", in: "plain $ text $$", want: "plain $ text $$"},
		{name: "variable", in: "${A}", want: "alpha"},
		{name: "inside text", in: "x-${A}-${B_2}-y", want: "x-alpha-beta-y"},
		{name: "default unused", in: "${A:-d}", want: "alpha"},
		{name: "default for unset", in: "${NOPE:-fallback value}", want: "fallback value"},
		{name: "default for empty", in: "${EMPTY:-d}", want: "d"},
		{name: "empty default", in: "[${NOPE:-}]", want: "[]"},
		{name: "literal", in: "$${A}", want: "${A}"},
		{name: "literal then variable", in: "$${A}${A}", want: "${A}alpha"},
		{name: "dollar before reference", in: "$$${A}", want: "$${A}"},
		{name: "value not expanded again", in: "${LOOP:-$A}", want: "$A"},
		{name: "nested reference in a default, variable set", in: "${A:-${B_2}}", wantErr: true},
		{name: "nested reference in a default, variable unset", in: "${NOPE:-${B_2}}", wantErr: true},
		{name: "unterminated nested reference in a default", in: "${LOOP:-${A}", wantErr: true},
		{name: "literal ${ in a default", in: "${NOPE:-$${A}}", wantErr: true},
		{name: "unset", in: "${NOPE}", wantErr: true},
		{name: "empty counts as unset", in: "${EMPTY}", wantErr: true},
		{name: "unterminated", in: "x ${A", wantErr: true},
		{name: "empty name", in: "${}", wantErr: true},
		{name: "bad name", in: "${A-B}", wantErr: true},
		{name: "digit first", in: "${9A}", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expand(tt.in, getenv)
			if (err != nil) != tt.wantErr {
				t.Fatalf("expand(%q) error = %v, want error %t", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("expand(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
