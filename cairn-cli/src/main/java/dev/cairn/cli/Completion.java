package dev.cairn.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cairn completion}: the shell completion script, made by picocli from the commands. */
@Command(
    name = "completion",
    description = {
      "Print a script that completes cairn's commands and options in bash and zsh.",
      "bash: source <(cairn completion), or save it as"
          + " ~/.local/share/bash-completion/completions/cairn.",
      "zsh: autoload -U +X bashcompinit && bashcompinit && source <(cairn completion)."
    })
final class Completion implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(AutoComplete.bash("cairn", spec.root().commandLine()));
    spec.commandLine().getOut().flush();
    return Main.OK;
  }
}
