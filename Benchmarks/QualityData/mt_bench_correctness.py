"""MT-bench as a correctness file: an out-of-domain check for the quality head.

RouteLLM's MT-bench judgements give GPT-4's 1-10 score of each model's answer. A first-turn
answer counts as correct when its score is at least 8 (fixed before any model was scored);
the prompts that overlap RouteLLM's router training data (mt_bench_contaminated_prompts.jsonl)
are left out. Columns match the MMLU file's, with `category` as the group.

    python3 Benchmarks/QualityData/mt_bench_correctness.py ../shared/datasets/routellm-eval > /tmp/mt_bench.csv
    mosaic eval routing --model MODEL --data /tmp/mt_bench.csv
"""
import csv
import json
import sys

THRESHOLD = 8


def main(folder):
    def lines(name):
        with open(f"{folder}/{name}") as f:
            return [json.loads(line) for line in f if line.strip()]

    questions = {q["question_id"]: q for q in lines("mt_bench_questions.jsonl")}
    contaminated = {c["eval_prompt"].strip() for c in lines("mt_bench_contaminated_prompts.jsonl")}
    scores = {}
    for j in lines("mt_bench_judgements.jsonl"):
        if j["turn"] == 1:
            scores.setdefault(j["question_id"], {})[j["model"]] = j["score"]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["category", "prompt_id", "prompt", "mixtral_8x7b_instruct_correct", "gpt_4_1106_preview_correct"])
    for qid in sorted(scores):
        prompt = questions[qid]["turns"][0]
        if prompt.strip() in contaminated:
            continue
        s = scores[qid]
        out.writerow([questions[qid]["category"], str(qid), prompt,
                      s["mistralai/Mixtral-8x7B-Instruct-v0.1"] >= THRESHOLD, s["gpt-4-1106-preview"] >= THRESHOLD])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets/routellm-eval")
