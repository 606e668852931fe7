package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// The completion scripts ask the binary itself for the words (urfave/cli's hidden
// --generate-bash-completion flag), so they stay right as commands and flags change.
const bashCompletion = `# inboxctl bash completion: source <(inboxctl completion bash)
_inboxctl_complete() {
  local cur words
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    words=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    words=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  [ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- "$cur"))
  return 0
}
complete -o default -F _inboxctl_complete inboxctl
`

const zshCompletion = `#compdef inboxctl
# inboxctl zsh completion: source <(inboxctl completion zsh)
_inboxctl() {
  local -a opts
  local cur=${words[-1]}
  if [[ "$cur" == -* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} $cur --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then _describe 'values' opts; else _files; fi
}
compdef _inboxctl inboxctl
`

func completionCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash or zsh)",
		ArgsUsage: "bash|zsh",
		Action: func(c *cli.Context) error {
			switch c.Args().First() {
			case "bash":
				fmt.Fprint(s.Out, bashCompletion)
			case "zsh":
				fmt.Fprint(s.Out, zshCompletion)
			default:
				return withCode(exitError, fmt.Errorf("completion: name a shell: bash or zsh"))
			}
			return nil
		},
	}
}
