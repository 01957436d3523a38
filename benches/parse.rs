//! Doc parse throughput (DESIGN §7): parse a generated doc of more than 5 MB and report MB/s.
//!
//! The doc repeats one product chapter with the shapes the parser handles: platform sections,
//! console transcripts with output, continuations, heredocs, nested lists, inline commands,
//! PowerShell, a prerequisites section and a verify section. Each repetition gets a unique
//! product name so routes and verification do not collapse into a handful of entries.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;

use agent_install::doc::{LoadedDoc, Origin, parse};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The smallest doc measured, in bytes.
const TARGET_BYTES: usize = 5 * 1024 * 1024 + 1;

fn chapter(out: &mut String, number: usize) {
    let name = format!("tool{number}");
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        r#"## {name}

{name} is a command-line tool. Install it with `sudo apt install {name}` on Debian, or see
below for other systems. The program is called `{name}` and lives in `/usr/bin`.

### Prerequisites

Install Rust first:

```sh
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y
```

### Debian / Ubuntu

```console
$ sudo apt-get update
Hit:1 http://deb.example/debian bookworm InRelease
Reading package lists... Done
$ sudo apt-get install -y \
    {name}
0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.
```

### Fedora

```bash
# Fedora 39 and later
sudo dnf install -y {name}
```

### macOS

    brew install {name}

### Windows

```powershell
PS C:\> winget install --id Example.{name} -e
Found {name} [Example.{name}]
```

### With cargo

```sh
cargo install --locked {name}
```

### Third-party repository

```bash
curl -fsSL https://packages.example.com/gpg.key | sudo gpg --dearmor -o /usr/share/keyrings/{name}.gpg
cat <<EOF | sudo tee /etc/apt/sources.list.d/{name}.list
deb [signed-by=/usr/share/keyrings/{name}.gpg] https://packages.example.com/debian stable main
EOF
sudo apt-get update && sudo apt-get install -y {name}
```

### From source

1. Get the sources:

   ```bash
   git clone https://git.example.com/{name}.git
   cd {name}
   ```

2. Build and install:

   - Compile:

     ```bash
     make -j4 PREFIX=/usr/local
     ```

   - Install as root:

     ```bash
     sudo make install
     ```

| Platform | Command |
|---|---|
| Alpine | `apk add {name}` |
| Arch | `pacman -S {name}` |

### Verify

```console
$ {name} --version
{name} 1.2.3
```

"#
    );
}

/// A doc of at least [`TARGET_BYTES`] bytes.
fn generated_doc() -> String {
    let mut text = String::from("# Many tools\n\nOBJECTIVE: Install every tool.\n\n");
    let mut number = 0;
    while text.len() < TARGET_BYTES {
        chapter(&mut text, number);
        number += 1;
    }
    text
}

fn parse_throughput(criterion: &mut Criterion) {
    let text = generated_doc();
    let loaded = LoadedDoc {
        origin: Origin::File {
            path: PathBuf::from("generated.md"),
        },
        first_line: 1,
        front_matter: None,
        converted_from_html: false,
        sha256: String::new(),
        warnings: Vec::new(),
        text,
    };
    let mut group = criterion.benchmark_group("doc_parse");
    group.throughput(Throughput::Bytes(loaded.text.len() as u64));
    group.sample_size(10);
    group.bench_function("generated_5mb", |bencher| {
        bencher.iter(|| parse(black_box(&loaded)))
    });
    // The floor: the Markdown event stream alone, which `parse` walks once.
    group.bench_function("markdown_events_only", |bencher| {
        bencher.iter(|| {
            let parser = pulldown_cmark::Parser::new_ext(
                black_box(&loaded.text),
                pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_TASKLISTS,
            );
            parser.into_offset_iter().count()
        })
    });
    group.finish();
}

criterion_group!(benches, parse_throughput);
criterion_main!(benches);
