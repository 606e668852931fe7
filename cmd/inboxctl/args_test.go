package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/urfave/cli/v2"
)

func TestNormalizeArgs(t *testing.T) {
	app := &cli.App{
		Flags: []cli.Flag{&cli.StringFlag{Name: "api-url"}, &cli.BoolFlag{Name: "insecure-http"}},
		Commands: []*cli.Command{{
			Name:  "plan",
			Flags: []cli.Flag{&cli.StringFlag{Name: "format"}, &cli.BoolFlag{Name: "detailed-exitcode"}},
		}},
	}
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"flags after paths", []string{"x", "plan", "a", "b", "--format", "json", "--detailed-exitcode"},
			[]string{"x", "plan", "--format", "json", "--detailed-exitcode", "a", "b"}},
		{"global flag after the command", []string{"x", "plan", "a", "--api-url", "http://h", "--insecure-http"},
			[]string{"x", "--api-url", "http://h", "--insecure-http", "plan", "a"}},
		{"global flag before the command", []string{"x", "--api-url=u", "plan", "a"},
			[]string{"x", "--api-url=u", "plan", "a"}},
		{"flag with =", []string{"x", "plan", "a", "--format=markdown"},
			[]string{"x", "plan", "--format=markdown", "a"}},
		{"double dash keeps paths that look like flags", []string{"x", "plan", "--", "-odd.yaml"},
			[]string{"x", "plan", "--", "-odd.yaml"}},
		{"unknown flag left for the library to report", []string{"x", "plan", "a", "--nope"},
			[]string{"x", "plan", "--nope", "a"}},
		{"unknown command untouched", []string{"x", "nope", "a", "--format", "json"},
			[]string{"x", "nope", "a", "--format", "json"}},
		{"no command", []string{"x", "--help"}, []string{"x", "--help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, normalizeArgs(app, tt.in)); diff != "" {
				t.Errorf("normalizeArgs (-want +got):\n%s", diff)
			}
		})
	}
}
