#!/usr/bin/perl
# Turns the statements the service ran for one probe call (PostgreSQL log with
# log_statement=all) into a pgbench script, so the baseline runs exactly this build's SQL.
#
#   pgbench-from-log.pl LOG MARKER SEEDED_ID SEEDED_EXPR OUT_SQL OUT_DEFINES [OUT_TRIPS_SQL]
#
# Picks the transaction (BEGIN .. COMMIT on one backend, or a single statement run outside a
# transaction block) whose statements or parameters contain MARKER, and writes each statement on its own line:
#   - prepared/extended statements (`execute NAME: SQL` + `DETAIL: parameters: $1 = '...'`): the
#     SQL with every $n replaced: NULL stays NULL; SEEDED_ID (the probe's account) becomes
#     SEEDED_EXPR (e.g. public.bench_id(:i), so pgbench spreads over the seeded accounts); any
#     other UUID becomes a fresh time-ordered id per transaction (public.bench_v7(:uN), the same
#     expression wherever the same UUID appeared); a uuid[] (`{id,...}`) an ARRAY[...] of those
#     expressions; an empty string the literal ''; everything else
#     a pgbench variable defined in OUT_DEFINES (`name=value` lines for pgbench -D) with the
#     captured value;
#   - simple statements as they were, except `BEGIN; SET TRANSACTION modes` which becomes the
#     equivalent single `BEGIN modes` (pgbench -M prepared cannot send two statements at once).
# OUT_TRIPS_SQL, if given, gets the same statements grouped as the service sent them: the
# statements of one round trip (BEGIN with the first statement, the last writes with COMMIT)
# inside \startpipeline .. \endpipeline, so pgbench makes as many round trips as the service.
# Perl because it is Essential on Debian (perl-base), unlike python3.
use strict;
use warnings;

die "usage: pgbench-from-log.pl LOG MARKER SEEDED_ID SEEDED_EXPR OUT_SQL OUT_DEFINES [OUT_TRIPS_SQL]\n"
  unless @ARGV == 6 || @ARGV == 7;
my ($log, $marker, $seeded, $seeded_expr, $out_sql, $out_defines, $out_trips_sql) = @ARGV;
$seeded = lc $seeded;

open my $in, '<', $log or die "cannot read $log: $!\n";
my @entries;
my $last;
while (my $line = <$in>) {
  chomp $line;
  if ($line =~ /^\S+ \S+ \S+ \[(\d+)\] (\w+):  (.*)$/) {
    my ($pid, $level, $text) = ($1, $2, $3);
    if ($level eq 'LOG' && $text =~ /^statement: (.*)$/) {
      $last = {pid => $pid, kind => 'statement', sql => $1, trip => scalar @entries};
      push @entries, $last;
    } elsif ($level eq 'LOG' && $text =~ /^execute (\S+): (.*)$/) {
      $last = {pid => $pid, kind => 'execute', name => $1, sql => $2, trip => scalar @entries};
      push @entries, $last;
    } elsif ($level eq 'DETAIL' && $text =~ /^parameters: (.*)$/ && $last && $last->{pid} eq $pid) {
      $last->{params} = $1;
      $last->{in_params} = 1;
    } elsif ($level eq 'DETAIL' && $text =~ /^prepare: (.*)$/ && $last && $last->{pid} eq $pid) {
      # The text of the first statement an `EXECUTE name(...)` in $last names.
      $last->{prepared} = $1;
      $last->{in_prepared} = 1;
    } else {
      $last = undef;
    }
  } elsif ($last) {
    # A continuation line of a multi-line statement or parameter list.
    if ($last->{in_params}) { $last->{params} .= "\n$line"; }
    elsif ($last->{in_prepared}) { $last->{prepared} .= "\n$line"; }
    else { $last->{sql} .= "\n$line"; }
  }
}
close $in;

# A simple query may carry several statements: the service sends BEGIN with its first prepared
# statement (`BEGIN;EXECUTE name('literal',...)`) and its last writes with COMMIT
# (`EXECUTE name(...);COMMIT`). Each becomes an entry of its own, an EXECUTE one like a logged
# `execute NAME` with its parameters, so the replay runs the same statements.
my %prepared_sql;  # statement name -> text, from the `DETAIL: prepare:` lines
for my $entry (@entries) {
  next unless $entry->{kind} eq 'statement' && defined $entry->{prepared};
  next unless $entry->{sql} =~ /\bEXECUTE\s+(\w+)/i;
  my $name = $1;
  (my $text = $entry->{prepared}) =~ s/^\s*PREPARE\s+\w+(?:\s*\([^)]*\))?\s+AS\s+//is;
  $prepared_sql{$name} //= $text;
}
sub split_statements {
  my ($sql) = @_;
  my (@pieces, $piece);
  $piece = '';
  while ($sql =~ /\G('(?:[^']|'')*'|[^';]+|;)/gc) {
    if ($1 eq ';') { push @pieces, $piece; $piece = ''; } else { $piece .= $1; }
  }
  die "unbalanced quotes in: $sql\n" if (pos($sql) // 0) != length $sql;
  push @pieces, $piece;
  return grep { /\S/ } @pieces;
}
@entries = map {
  my $entry = $_;
  if ($entry->{kind} ne 'statement' || $entry->{sql} !~ /\bEXECUTE\b/i) {
    ($entry);
  } else {
    map {
      if (/^\s*EXECUTE\s+(\w+)\s*(?:\((.*)\))?\s*$/is) {
        my ($name, $args) = ($1, $2 // '');
        my (%values, $n);
        while ($args =~ /\G\s*(NULL|-?[0-9][0-9.]*|'((?:[^']|'')*)')\s*(?:,|$)/gcis) {
          $n++;
          if (uc $1 eq 'NULL') { $values{$n} = undef; }
          elsif (defined $2) { (my $v = $2) =~ s/''/'/g; $values{$n} = $v; }
          else { $values{$n} = $1; }
        }
        # Reported only if the probe's transaction holds it (other sessions' lines do not matter).
        my $error = !exists $prepared_sql{$name} ? "no prepared text for statement $name in the log"
          : (pos($args) // 0) != length $args ? "cannot read the arguments of EXECUTE $name($args)"
          : undef;
        +{pid => $entry->{pid}, kind => 'execute', name => $name, sql => $prepared_sql{$name} // '',
          values => \%values, literal => $_, error => $error, trip => $entry->{trip}};
      } else {
        +{pid => $entry->{pid}, kind => 'statement', sql => $_, trip => $entry->{trip}};
      }
    } split_statements($entry->{sql});
  }
} @entries;

# Transactions per backend, in log order; a statement outside BEGIN .. COMMIT is one of its own.
my (%open, @blocks);
for my $entry (@entries) {
  my $pid = $entry->{pid};
  if ($entry->{kind} eq 'statement' && $entry->{sql} =~ /^\s*(BEGIN|START TRANSACTION)\b/i) {
    $open{$pid} = [$entry];
    next;
  }
  unless ($open{$pid}) {
    push @blocks, [$entry];
    next;
  }
  push @{$open{$pid}}, $entry;
  if ($entry->{kind} eq 'statement' && $entry->{sql} =~ /^\s*(COMMIT|END|ROLLBACK)\b/i) {
    push @blocks, delete $open{$pid};
  }
}
my ($block) = grep {
  grep {
    index($_->{sql}, $marker) >= 0 || index($_->{params} // '', $marker) >= 0
      || index($_->{literal} // '', $marker) >= 0
  } @$_
} @blocks;
die "no transaction containing '$marker' in $log\n" unless $block;
die "the probe's transaction rolled back\n" if $block->[-1]{sql} =~ /^\s*ROLLBACK/i;

my $uuid_re = qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
my (%fresh, @defines, @lines, @trips);  # @trips: the round trip of each line
my $statement_index = 0;

# The pgbench text standing for a UUID parameter: the seeded account's expression, or a fresh
# time-ordered id per transaction (the same one wherever the same UUID appeared).
sub uuid_expr {
  my ($v) = @_;
  return $seeded_expr if lc($v) eq $seeded;
  my $key = lc $v;
  $fresh{$key} = 'u' . (scalar(keys %fresh) + 1) unless exists $fresh{$key};
  return "public.bench_v7(:$fresh{$key})";
}

# The pgbench text standing for parameter $n (value from %$values) of statement $index.
sub substitute {
  my ($n, $values, $index) = @_;
  die "statement $index uses \$$n without a captured value\n" unless exists $values->{$n};
  my $v = $values->{$n};
  return 'NULL' unless defined $v;
  return uuid_expr($v) if $v =~ $uuid_re;
  # A uuid[] in array text form (`{a,b}`, as the service's batched reads send): an ARRAY of the
  # same expressions, so a one-key batch still reads a random seeded account.
  if ($v =~ /^\{([^{}]*)\}$/) {
    my @items = split /,/, $1;
    if (@items && !grep { $_ !~ $uuid_re } @items) {
      return 'ARRAY[' . join(', ', map { uuid_expr($_) } @items) . ']';
    }
  }
  # pgbench -D refuses an empty value: an empty string goes in as a literal.
  return "''" if $v eq '';
  die "parameter \$$n of statement $index spans lines; cannot pass it to pgbench -D\n" if $v =~ /\n/;
  my $name = "p${index}_$n";
  push @defines, "$name=$v";
  return ":$name";
}
for my $entry (@$block) {
  die "$entry->{error}\n" if $entry->{error};
  $statement_index++;
  my $sql = $entry->{sql};
  if ($entry->{kind} eq 'statement') {
    if ($sql =~ /^\s*BEGIN\s*;\s*SET\s+TRANSACTION\s+(.*?)\s*;?\s*$/is) {
      $sql = "BEGIN $1";
    }
    $sql =~ s/\s*;\s*$//;
    die "cannot replay a multi-statement query: $sql\n" if $sql =~ /;/;
    push @lines, "$sql;";
    push @trips, $entry->{trip};
    next;
  }
  my %values = %{$entry->{values} // {}};
  my $params = $entry->{params} // '';
  while ($params =~ /\$(\d+) = (NULL|'((?:[^']|'')*)')/gs) {
    my ($n, $raw, $quoted) = ($1, $2, $3);
    if ($raw eq 'NULL') { $values{$n} = undef; }
    else { (my $v = $quoted) =~ s/''/'/g; $values{$n} = $v; }
  }
  $sql =~ s{\$(\d+)\b}{substitute($1, \%values, $statement_index)}ge;
  $sql =~ s/\s*;\s*$//;
  push @lines, "$sql;";
  push @trips, $entry->{trip};
}

sub write_script {
  my ($path, @body) = @_;
  open my $out, '>', $path or die "cannot write $path: $!\n";
  print $out "-- Generated by scripts/bench/pgbench-from-log.pl from one probe call of the service.\n";
  for my $var (sort { $fresh{$a} cmp $fresh{$b} } keys %fresh) {
    print $out "\\set $fresh{$var} random(1, 1099511627775)\n";
  }
  print $out "$_\n" for @body;
  close $out;
}
write_script($out_sql, @lines);
if (defined $out_trips_sql) {
  my (@body, $round_trips);
  for (my $i = 0; $i < @lines;) {
    my $j = $i;
    $j++ while $j + 1 < @lines && $trips[$j + 1] == $trips[$i];
    $round_trips++;
    if ($j > $i) {
      push @body, '\startpipeline', @lines[$i .. $j], '\endpipeline';
    } else {
      push @body, $lines[$i];
    }
    $i = $j + 1;
  }
  write_script($out_trips_sql, "-- $round_trips round trips, as the service made them", @body);
}
open my $defs, '>', $out_defines or die "cannot write $out_defines: $!\n";
print $defs "$_\n" for @defines;
close $defs;
