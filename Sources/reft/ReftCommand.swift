import ArgumentParser
import CommandLineSupport
import Tensors

/// `reft`: Hugging Face transformer checkpoints from the command line.
@main
struct ReftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reft",
        abstract: "Load a Hugging Face transformer checkpoint: inspect, tokenize, score or continue text, train ReFT and LoRA adapters, pretrain small models.",
        discussion: """
            A model is a directory as Hugging Face writes it: config.json (GPT-2, Llama, Qwen2 or Mistral), \
            model.safetensors or its shards with model.safetensors.index.json (F32, F16 or BF16; read into Float32), \
            and tokenizer.json (byte-level BPE) for the commands that take text.

            Examples:
              reft inspect --model ./tiny-llama
              reft tokenize --tokenizer ./tiny-llama/tokenizer.json --text "The cat sat"
              reft logits --model ./tiny-llama --text "The cat sat" --json logits.json
              reft generate --model ./tiny-llama --prompt "Once upon a time" --max-new-tokens 40
              reft generate --model ./tiny-llama --prompt "Once" --temperature 0.8 --top-p 0.95 --seed 7
              reft train --model ./tiny-llama --data pairs.jsonl --type loreft --rank 4 --layers 2,4 --positions f1+l1 \\
                  --epochs 10 --lr 4e-3 --out my-adapter
              reft generate --model ./tiny-llama --adapter my-adapter --prompt "Once upon a time"
              reft pretrain --config config.json --tokenizer tokenizer.json --data corpus.txt --out ./tiny-model

            Errors print one line on stderr; the exit status is 2 for bad arguments and 1 for failures \
            (a missing or corrupt model).
            """,
        subcommands: [InspectCommand.self, TokenizeCommand.self, LogitsCommand.self, GenerateCommand.self, TrainCommand.self, PretrainCommand.self]
    )

    static func main() {
        LinearAlgebraBackend.prepareProcess()
        runAsCommandLineTool(name: "reft")
    }
}
