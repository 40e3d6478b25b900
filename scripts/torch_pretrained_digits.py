"""A digits CNN defined and trained in PyTorch, for examples/from-pytorch.mjs.

    /usr/bin/python3 scripts/torch_pretrained_digits.py             # writes the files below
    /usr/bin/python3 scripts/torch_pretrained_digits.py check FILE  # loads a Tessera-fine-tuned state_dict

(needs Debian's python3-torch 1.13, python3-sklearn and python3-onnx.) Trains on the first 600 of
scikit-learn's 1,797 8×8 digits (the same images, in the same order, as Tessera's
data.loadDigits()) for a few epochs only, so that fine-tuning in Tessera on images 600–1399 has
something left to gain; images 1400–1796 are the test split. Writes, to examples/pretrained/:

  torch-digits-cnn.safetensors  the state_dict under PyTorch's keys verbatim (BatchNorm's
      running statistics F32 and num_batches_tracked I64, as PyTorch stores them);
  torch-digits-cnn.onnx         the same model through torch.onnx.export (opset 17, dynamic batch);
  torch-digits-outputs.safetensors  "logits": the eval-mode logits of the 397 test images, and
      __metadata__ "test_accuracy".

`check FILE` loads FILE (the state_dict examples/from-pytorch.mjs fine-tuned and saved) into
DigitsNet with strict=True and prints its test accuracy, which should equal the one Tessera printed.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_reader  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "examples", "pretrained")
DTYPES = {torch.float32: "F32", torch.int64: "I64"}


class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def save(path, state, metadata):
    tensors = {k: (DTYPES[t.dtype], list(t.shape), t.detach().flatten().tolist()) for k, t in state.items()}
    safetensors_reader.write(path, tensors, {"format": "pt", "written_by": "scripts/torch_pretrained_digits.py", **metadata})


def digits_tensors():
    digits = load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32).reshape(-1, 1, 8, 8) / 16
    y = torch.tensor(digits.target, dtype=torch.int64)
    return x, y


def check(path):
    x, y = digits_tensors()
    tensors = safetensors_reader.read(path)["tensors"]
    dtypes = {"F32": torch.float32, "I64": torch.int64, "I32": torch.int64}
    state = {k: torch.tensor(t["values"], dtype=dtypes[t["dtype"]]).reshape(t["shape"]) for k, t in tensors.items()}
    model = DigitsNet()
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        accuracy = (model(x[1400:]).argmax(1) == y[1400:]).float().mean().item()
    print(f"PyTorch: {path} loaded strictly; test accuracy {100 * accuracy:.2f}%")


def main():
    torch.manual_seed(0)
    x, y = digits_tensors()
    x_train, y_train, x_test, y_test = x[:600], y[:600], x[1400:], y[1400:]

    model = DigitsNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(2):
        model.train()
        order = torch.randperm(600)
        for i in range(0, 600, 32):
            idx = order[i : i + 32]
            opt.zero_grad()
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(x_test)
    accuracy = (logits.argmax(1) == y_test).float().mean().item()
    print(f"PyTorch: test accuracy {accuracy:.4f} after 2 epochs on 600 images")

    os.makedirs(OUT, exist_ok=True)
    save(os.path.join(OUT, "torch-digits-cnn.safetensors"), model.state_dict(), {})
    save(os.path.join(OUT, "torch-digits-outputs.safetensors"), {"logits": logits}, {"test_accuracy": f"{accuracy:.6f}"})
    torch.onnx.export(
        model,
        x_test[:2],
        os.path.join(OUT, "torch-digits-cnn.onnx"),
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        main()
