/**
 * The one {@code palisade} command: a picocli command tree whose top level is {@link dev.palisade.cli.Palisade}, one
 * subcommand per concern ({@code version}, {@code certs}, and later {@code control-plane}, {@code proxy}, …), and the
 * shaded runnable jar {@code cli/target/palisade.jar}. Commands print through picocli's writers, never through
 * {@code System.out}, so that tests can run them in-process; exit codes are 0 (success), 1 (the command failed) and
 * 2 (invalid usage).
 */
@NullMarked
package dev.palisade.cli;

import org.jspecify.annotations.NullMarked;
