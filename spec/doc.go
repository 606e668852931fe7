// Package spec reads the state files of spec v1 (CONTRACT.md section 2) into a spec.State.
//
// Load takes files and directories, parses every YAML document with its positions, substitutes
// ${NAME} references, checks every rule of the contract and merges the documents into one
// canonical State. It is pure: files in, State out, no network. When anything is wrong it
// reports every error it found as *Errors, each line "file:line:col: message".
//
// Schema returns the JSON Schema of spec v1 that editors use through the yaml-language-server
// comment; a test keeps it and the loader in agreement.
package spec
