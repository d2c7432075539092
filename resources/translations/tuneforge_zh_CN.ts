<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>BoxDialog</name>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="92"/>
        <source>Edit box</source>
        <translation>编辑服务器</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="92"/>
        <source>Add a box</source>
        <translation>添加服务器</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="93"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="93"/>
        <source>Host</source>
        <translation>主机</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="93"/>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="94"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="94"/>
        <source>Key file</source>
        <translation>密钥文件</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="95"/>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="97"/>
        <source>A short name, e.g. autodl-4090</source>
        <translation>一个简短的名称，例如 autodl-4090</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="98"/>
        <source>The address your GPU provider shows</source>
        <translation>GPU 服务商显示的地址</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="99"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="101"/>
        <source>Leave empty to keep the saved password</source>
        <translation>留空则保留已保存的密码</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="103"/>
        <source>The password is kept in the system&apos;s password store, never in a file. You confirm the box&apos;s fingerprint next.</source>
        <translation>密码保存在系统的密码库中，从不写入文件。下一步请确认服务器的指纹。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/box_dialog.py" line="107"/>
        <source>Private key file</source>
        <translation>私钥文件</translation>
    </message>
</context>
<context>
    <name>ChatPage</name>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="158"/>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="159"/>
        <source>Open GGUF…</source>
        <translation>打开 GGUF…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="160"/>
        <source>Chat with a local .gguf file without Ollama</source>
        <translation>不经过 Ollama，直接与本地 .gguf 文件对话</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="161"/>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="162"/>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="163"/>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="164"/>
        <source>Optional: how the model should behave</source>
        <translation>可选：模型应如何表现</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="165"/>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="167"/>
        <source>Message the model (Enter to send, Shift+Enter for a new line)</source>
        <translation>给模型发消息（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="169"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="170"/>
        <source>Compare</source>
        <translation>对比</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="171"/>
        <source>Ask a second model the same thing and see both answers side by side, e.g. the base model next to your fine-tuned one.</source>
        <translation>同时向第二个模型提同样的问题，并排查看两个回答，例如把基础模型放在你微调的模型旁边。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="174"/>
        <source>The model to compare with (e.g. the base model)</source>
        <translation>用来对比的模型（例如基础模型）</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="175"/>
        <source>Pick the model to compare with.</source>
        <translation>选择用来对比的模型。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="177"/>
        <source>Restart the model</source>
        <translation>重新启动模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="180"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="181"/>
        <source>Pick a model above and say hello.</source>
        <translation>在上方选择一个模型，打个招呼吧。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="233"/>
        <source>Compare with:</source>
        <translation>对比模型：</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="242"/>
        <source>Choose a GGUF file</source>
        <translation>选择 GGUF 文件</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="242"/>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="295"/>
        <source>Waiting for the first token…</source>
        <translation>等待第一个 token…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="166"/>
        <location filename="../../desktop/pages/chat_page.py" line="318"/>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="330"/>
        <source>{n} tokens · ≈ {rate:.1f} tokens/s</source>
        <translation>{n} 个 token · 约 {rate:.1f} token/秒</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="185"/>
        <location filename="../../desktop/pages/chat_page.py" line="188"/>
        <location filename="../../desktop/pages/chat_page.py" line="353"/>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="77"/>
        <source>{n} tokens</source>
        <translation>{n} 个 token</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="83"/>
        <source>{rate:.1f} tokens/s</source>
        <translation>{rate:.1f} token/秒</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="89"/>
        <source>prompt {n} tokens</source>
        <translation>提示词 {n} 个 token</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="94"/>
        <source>stopped at the length limit</source>
        <translation>达到长度上限后停止</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_page.py" line="375"/>
        <source>The chat failed</source>
        <translation>对话失败</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="138"/>
        <source>llama.cpp crashed while running {model} ({signal}). The app is fine; only the model stopped.</source>
        <translation>llama.cpp 在运行 {model} 时崩溃（{signal}）。应用本身没有问题，只是模型停止了。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="143"/>
        <source>Restart the model to try again. If it crashes again, try another quantization of the model (F16 or Q8_0), and send the self-test report.</source>
        <translation>请重新启动模型再试一次。如果仍然崩溃，请换用模型的其他量化版本（F16 或 Q8_0），并发送自检报告。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="152"/>
        <source>Last output of llama.cpp:</source>
        <translation>llama.cpp 最后的输出：</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="183"/>
        <source>The model is loaded again.</source>
        <translation>模型已重新加载。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="194"/>
        <source>The model could not be loaded</source>
        <translation>无法加载模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="109"/>
        <source>Export the conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="111"/>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/chat_extras.py" line="130"/>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
</context>
<context>
    <name>Dialogs</name>
    <message>
        <location filename="../../desktop/widgets/dialogs.py" line="18"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/dialogs.py" line="21"/>
        <source>Line</source>
        <translation>行</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/dialogs.py" line="32"/>
        <source>Error code</source>
        <translation>错误代码</translation>
    </message>
</context>
<context>
    <name>DropZone</name>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="69"/>
        <source>Drop a model folder, LoRA adapter or .gguf</source>
        <translation>拖入模型文件夹、LoRA 适配器或 .gguf 文件</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="70"/>
        <source>Drop it anywhere on this window, or choose it here.</source>
        <translation>拖到窗口任意位置即可，也可以在这里选择。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="71"/>
        <source>Choose folder…</source>
        <translation>选择文件夹…</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="72"/>
        <source>Choose .gguf file…</source>
        <translation>选择 .gguf 文件…</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="81"/>
        <source>Choose a model or adapter folder</source>
        <translation>选择模型或适配器文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="88"/>
        <source>Choose a GGUF file</source>
        <translation>选择 GGUF 文件</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="90"/>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>EngineText</name>
    <message>
        <location filename="../../desktop/engine_texts.py" line="16"/>
        <source>4-bit K-quant, medium: attention-V and some feed-forward layers get 6 bits.</source>
        <translation>4 位 K 量化（中）：注意力 V 和部分前馈层使用 6 位。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="23"/>
        <source>5-bit K-quant, medium: attention-V and some feed-forward layers get 6 bits.</source>
        <translation>5 位 K 量化（中）：注意力 V 和部分前馈层使用 6 位。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="26"/>
        <source>Slightly better answers than Q4_K_M for about 15 % more size; pick it if memory allows.</source>
        <translation>回答比 Q4_K_M 略好，体积约大 15%；内存允许时可以选它。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="30"/>
        <source>6-bit K-quant for every weight matrix.</source>
        <translation>所有权重矩阵都使用 6 位 K 量化。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="35"/>
        <source>8-bit, one scale per 32 weights.</source>
        <translation>8 位，每 32 个权重一个缩放系数。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="19"/>
        <source>Best size/quality balance for most users and for models above about 4B parameters: about 30 % of the original size with little quality loss.</source>
        <translation>适合大多数用户及约 4B 参数以上的模型，体积与质量的最佳平衡：约为原始大小的 30%，质量损失很小。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="31"/>
        <source>Nearly indistinguishable from the original; recommended for models of about 2–4B parameters.</source>
        <translation>与原始模型几乎无差别；推荐用于约 2–4B 参数的模型。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="36"/>
        <source>Practically lossless at about half the size of F16; recommended for small models up to about 2B parameters.</source>
        <translation>几乎无损，体积约为 F16 的一半；推荐用于约 2B 参数以内的小模型。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="40"/>
        <source>5-bit K-quant, small: every weight matrix 5 bits.</source>
        <translation>5 位 K 量化（小）：所有权重矩阵都是 5 位。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="41"/>
        <source>A little smaller than Q5_K_M with slightly lower quality.</source>
        <translation>比 Q5_K_M 略小，质量略低。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="42"/>
        <source>4-bit K-quant, small: only the first layers get 5 bits.</source>
        <translation>4 位 K 量化（小）：只有前几层使用 5 位。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="43"/>
        <source>A little smaller than Q4_K_M when every hundred megabytes count.</source>
        <translation>比 Q4_K_M 略小，适合每一百 MB 都要计较的时候。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="46"/>
        <source>3-bit K-quant, medium.</source>
        <translation>3 位 K 量化（中）。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="47"/>
        <source>Noticeably lower quality; only when the model would not fit in memory otherwise.</source>
        <translation>质量明显下降；只在模型否则放不进内存时使用。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="51"/>
        <source>2-bit K-quant mix (attention and feed-forward down projections get 3-4 bits).</source>
        <translation>2 位 K 量化混合（注意力和前馈下投影使用 3–4 位）。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="55"/>
        <source>Smallest file, clearly degraded answers; a last resort for large models on small machines.</source>
        <translation>文件最小，回答质量明显变差；大模型在小机器上的最后选择。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="59"/>
        <source>Unquantized 16-bit floating point.</source>
        <translation>未量化的 16 位浮点。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="60"/>
        <source>Full quality, large and slow on CPUs; useful as a master copy to quantize later.</source>
        <translation>完整质量，体积大且在 CPU 上较慢；适合作为以后量化的母版。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="64"/>
        <source>Unquantized bfloat16, exactly the weights most models are trained in.</source>
        <translation>未量化的 bfloat16，正是大多数模型训练时的权重格式。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="67"/>
        <source>Lossless copy of a bf16 model; the best master copy to quantize later.</source>
        <translation>bf16 模型的无损副本；以后量化的最佳母版。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="70"/>
        <source>Unquantized 32-bit floating point.</source>
        <translation>未量化的 32 位浮点。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="71"/>
        <source>Twice the size of BF16 with no benefit for bf16 models; for debugging only.</source>
        <translation>大小是 BF16 的两倍，对 bf16 模型没有好处；仅用于调试。</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="75"/>
        <source>small model: keep almost all quality, the file stays small</source>
        <translation>小模型：几乎保留全部质量，文件依然很小</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="76"/>
        <source>small model: near-original quality at a modest size</source>
        <translation>小模型：接近原始质量，大小适中</translation>
    </message>
    <message>
        <location filename="../../desktop/engine_texts.py" line="77"/>
        <source>best size/quality balance for most users</source>
        <translation>对大多数用户来说大小与质量最平衡</translation>
    </message>
</context>
<context>
    <name>FinetunePage</name>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="193"/>
        <location filename="../../desktop/pages/finetune_page.py" line="350"/>
        <source>From the HF cache…</source>
        <translation>从 HF 缓存选择…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_inputs.py" line="75"/>
        <source>Base model folder</source>
        <translation>基础模型文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_inputs.py" line="81"/>
        <location filename="../../desktop/pages/finetune_page.py" line="340"/>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_inputs.py" line="89"/>
        <source>LLaMA-Factory dataset folder</source>
        <translation>LLaMA-Factory 数据集文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_inputs.py" line="105"/>
        <source>Downloading {repo}…</source>
        <translation>正在下载 {repo}…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_inputs.py" line="109"/>
        <source>Downloading {repo}… {done} of {total} files</source>
        <translation>正在下载 {repo}… 已完成 {done} / {total} 个文件</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_inputs.py" line="147"/>
        <source>Choose a base model (a folder, or a Hugging Face id) and a dataset file or folder.</source>
        <translation>请选择基础模型（文件夹或 Hugging Face ID）以及数据集文件或文件夹。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_inputs.py" line="159"/>
        <source>Checking the dataset…</source>
        <translation>正在检查数据集…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_inputs.py" line="183"/>
        <source>No examples.</source>
        <translation>没有样本。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_inputs.py" line="189"/>
        <source>{examples} examples · {tokens} tokens · {truncated} longer than the cutoff of {cutoff} · {errors} problem(s)</source>
        <translation>{examples} 个样本 · {tokens} 个 token · {truncated} 个超过截断长度 {cutoff} · {errors} 个问题</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="212"/>
        <location filename="../../desktop/pages/finetune_page.py" line="352"/>
        <source>Start training</source>
        <translation>开始训练</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="213"/>
        <source>This run probably does not fit the GPU memory.</source>
        <translation>这次训练很可能超出显存。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="214"/>
        <source>Start anyway</source>
        <translation>仍然开始</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="223"/>
        <source>Check the settings</source>
        <translation>请检查设置</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="266"/>
        <source>Stopping: saving a checkpoint…</source>
        <translation>正在停止：保存检查点…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="295"/>
        <source>Stopped before training started.</source>
        <translation>在训练开始前已停止。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="363"/>
        <source>Done. The adapter is in {path}</source>
        <translation>完成。适配器位于 {path}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="366"/>
        <source>Stopped; a checkpoint is saved. Resume continues from it.</source>
        <translation>已停止，检查点已保存。点击“继续”可从这里接着训练。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_remote.py" line="128"/>
        <source>The run&apos;s files on the box are kept.</source>
        <translation>服务器上该训练的文件会保留。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_remote.py" line="130"/>
        <source>Delete run</source>
        <translation>删除训练记录</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_remote.py" line="131"/>
        <source>Delete {name}?</source>
        <translation>删除 {name}？</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_remote.py" line="133"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="336"/>
        <source>Fine-tune</source>
        <translation>微调</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="337"/>
        <source>Teach a base model your data: pick the model and the dataset, press Start, watch the loss.</source>
        <translation>用你的数据教会基础模型：选择模型和数据集，点击开始，观察损失曲线。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="339"/>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="341"/>
        <source>A model folder, or a Hugging Face id such as Qwen/Qwen2.5-1.5B-Instruct</source>
        <translation>模型文件夹，或 Hugging Face ID，例如 Qwen/Qwen2.5-1.5B-Instruct</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="343"/>
        <source>.json, .jsonl, .csv, .parquet, or a folder with dataset_info.json</source>
        <translation>.json、.jsonl、.csv、.parquet，或包含 dataset_info.json 的文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="345"/>
        <location filename="../../desktop/pages/finetune_page.py" line="348"/>
        <source>Folder…</source>
        <translation>文件夹…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="346"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="347"/>
        <source>File…</source>
        <translation>文件…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="351"/>
        <source>Preview (trained parts highlighted)</source>
        <translation>预览（高亮部分为训练内容）</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="353"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="354"/>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_page.py" line="355"/>
        <source>Package this model</source>
        <translation>打包这个模型</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../desktop/main_window.py" line="152"/>
        <source>Fine-tune</source>
        <translation>微调</translation>
    </message>
    <message>
        <location filename="../../desktop/main_window.py" line="153"/>
        <source>Package</source>
        <translation>打包</translation>
    </message>
    <message>
        <location filename="../../desktop/main_window.py" line="154"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../../desktop/main_window.py" line="155"/>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <location filename="../../desktop/main_window.py" line="156"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../desktop/main_window.py" line="288"/>
        <location filename="../../desktop/main_window.py" line="297"/>
        <source>Quit Tuneforge</source>
        <translation>退出 Tuneforge</translation>
    </message>
    <message>
        <location filename="../../desktop/main_window.py" line="289"/>
        <source>A model is being created.</source>
        <translation>正在创建模型。</translation>
    </message>
    <message>
        <location filename="../../desktop/main_window.py" line="290"/>
        <source>Quitting stops it and removes its partial files.</source>
        <translation>退出会停止创建并删除未完成的文件。</translation>
    </message>
    <message>
        <location filename="../../desktop/main_window.py" line="291"/>
        <location filename="../../desktop/main_window.py" line="300"/>
        <source>Stop and quit</source>
        <translation>停止并退出</translation>
    </message>
    <message>
        <location filename="../../desktop/main_window.py" line="298"/>
        <source>A model is being trained on this computer.</source>
        <translation>本机正在训练模型。</translation>
    </message>
    <message>
        <location filename="../../desktop/main_window.py" line="299"/>
        <source>Quitting stops it; a checkpoint is saved and Resume continues from it.</source>
        <translation>退出会停止训练；检查点会被保存，之后可以点击“继续”接着训练。</translation>
    </message>
</context>
<context>
    <name>MessageBubble</name>
    <message>
        <location filename="../../desktop/widgets/chat_view.py" line="71"/>
        <source>Thinking</source>
        <translation>思考过程</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <location filename="../../desktop/widgets/model_picker.py" line="26"/>
        <source>No model yet</source>
        <translation>还没有模型</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/model_picker.py" line="37"/>
        <source>{name} (local GGUF)</source>
        <translation>{name}（本地 GGUF）</translation>
    </message>
</context>
<context>
    <name>ModelsPage</name>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="136"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="138"/>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="141"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="142"/>
        <source>Family</source>
        <translation>系列</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="143"/>
        <location filename="../../desktop/pages/models_page.py" line="152"/>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="144"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="145"/>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="146"/>
        <source>Modified</source>
        <translation>修改时间</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="149"/>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="150"/>
        <location filename="../../desktop/pages/models_page.py" line="335"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="152"/>
        <source>Modelfile</source>
        <translation>Modelfile</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="152"/>
        <source>Template</source>
        <translation>模板</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="156"/>
        <source>Select a model to see its Modelfile, parameters and template.</source>
        <translation>选择一个模型，查看它的 Modelfile、参数和模板。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="163"/>
        <source>The models in your Ollama.</source>
        <translation>你的 Ollama 中的模型。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="166"/>
        <source>The models in Ollama at {host}.</source>
        <translation>Ollama（{host}）中的模型。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="214"/>
        <source>No models yet. Package one on the Package page.</source>
        <translation>还没有模型。去“打包”页面打包一个吧。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="227"/>
        <location filename="../../desktop/pages/models_page.py" line="247"/>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="246"/>
        <source>Ollama is not running, so there are no models to show.</source>
        <translation>Ollama 没有运行，因此无法显示模型。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="294"/>
        <location filename="../../desktop/pages/models_page.py" line="295"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="308"/>
        <source>No model selected</source>
        <translation>未选择模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="313"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="330"/>
        <source>Delete model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="331"/>
        <source>Delete {name} from Ollama?</source>
        <translation>要从 Ollama 中删除 {name} 吗？</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="333"/>
        <source>The model is removed from Ollama. GGUF files Tuneforge saved stay where they are.</source>
        <translation>模型将从 Ollama 中移除。Tuneforge 保存的 GGUF 文件会保留在原处。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/models_page.py" line="346"/>
        <source>Deleting failed</source>
        <translation>删除失败</translation>
    </message>
</context>
<context>
    <name>OllamaStatus</name>
    <message>
        <location filename="../../desktop/widgets/ollama_status.py" line="63"/>
        <source>Checking Ollama…</source>
        <translation>正在检查 Ollama…</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/ollama_status.py" line="65"/>
        <source>Ollama {version} is running at {host}</source>
        <translation>Ollama {version} 正在 {host} 运行</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/ollama_status.py" line="70"/>
        <source>Ollama {version} is too old for Tuneforge</source>
        <translation>Ollama {version} 版本太旧，Tuneforge 无法使用</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/ollama_status.py" line="73"/>
        <source>Download the latest Ollama</source>
        <translation>下载最新版 Ollama</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/ollama_status.py" line="75"/>
        <source>Starting Ollama…</source>
        <translation>正在启动 Ollama…</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/ollama_status.py" line="77"/>
        <source>Ollama is installed but not running</source>
        <translation>已安装 Ollama，但没有运行</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/ollama_status.py" line="79"/>
        <source>Start Ollama</source>
        <translation>启动 Ollama</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/ollama_status.py" line="81"/>
        <source>Ollama is not installed</source>
        <translation>未安装 Ollama</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/ollama_status.py" line="82"/>
        <source>Download Ollama</source>
        <translation>下载 Ollama</translation>
    </message>
</context>
<context>
    <name>OptionsCard</name>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="114"/>
        <source>Options</source>
        <translation>选项</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="115"/>
        <source>Model name</source>
        <translation>模型名称</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="116"/>
        <source>e.g. my-assistant</source>
        <translation>例如 my-assistant</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="117"/>
        <source>tag</source>
        <translation>标签</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="118"/>
        <source>Size / quality</source>
        <translation>大小 / 质量</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="119"/>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="121"/>
        <source>The folder of the model this adapter was trained on</source>
        <translation>训练该适配器时所用模型的文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="123"/>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="124"/>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="126"/>
        <source>Optional. How the model should behave, e.g. “You are a helpful assistant.”</source>
        <translation>可选。模型应如何表现，例如“你是一个乐于助人的助手。”</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="128"/>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="129"/>
        <source>Change…</source>
        <translation>更改…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="179"/>
        <source>Keep as it is ({type})</source>
        <translation>保持原样（{type}）</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="199"/>
        <source>recommended</source>
        <translation>推荐</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="207"/>
        <source>Recommended for this model — {reason}.</source>
        <translation>推荐用于此模型——{reason}。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="212"/>
        <source>A GGUF file is registered exactly as it is.</source>
        <translation>GGUF 文件会原样注册。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="232"/>
        <source>✓ Will be created in Ollama as {name}</source>
        <translation>✓ 将在 Ollama 中创建为 {name}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="245"/>
        <source>Choose the base model folder</source>
        <translation>选择基础模型文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_options.py" line="251"/>
        <source>Choose where GGUF files are saved</source>
        <translation>选择保存 GGUF 文件的位置</translation>
    </message>
</context>
<context>
    <name>PackagePage</name>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="105"/>
        <source>Package a model</source>
        <translation>打包模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="108"/>
        <source>Turn a fine-tuned model, a LoRA adapter or a GGUF file into your own Ollama model.</source>
        <translation>把微调后的模型、LoRA 适配器或 GGUF 文件变成你自己的 Ollama 模型。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="111"/>
        <source>Reading the model…</source>
        <translation>正在读取模型…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="112"/>
        <source>Create in Ollama</source>
        <translation>在 Ollama 中创建</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="115"/>
        <location filename="../../desktop/pages/package_run.py" line="208"/>
        <source>Steps</source>
        <translation>步骤</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="124"/>
        <source>Merge adapter into the base model</source>
        <translation>将适配器合并到基础模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="125"/>
        <source>Copy the GGUF</source>
        <translation>复制 GGUF 文件</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="127"/>
        <source>Convert and quantize to GGUF</source>
        <translation>转换并量化为 GGUF</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="128"/>
        <source>Write the Modelfile and check the template</source>
        <translation>写入 Modelfile 并检查模板</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="129"/>
        <source>Upload to Ollama</source>
        <translation>上传到 Ollama</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="130"/>
        <source>Create the model</source>
        <translation>创建模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="131"/>
        <source>Smoke chat</source>
        <translation>试聊检查</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="57"/>
        <source>Ollama was not reachable</source>
        <translation>无法连接 Ollama</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="59"/>
        <source>files only</source>
        <translation>仅生成文件</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="65"/>
        <source>could not run</source>
        <translation>无法运行</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="67"/>
        <source>not asked for</source>
        <translation>未选择</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="70"/>
        <source>the reply had problems</source>
        <translation>回复有问题</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="172"/>
        <source>Wait for the current model to finish, or cancel it first.</source>
        <translation>请等当前模型完成，或先取消它。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="180"/>
        <source>Reading {path}…</source>
        <translation>正在读取 {path}…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="208"/>
        <source>This cannot be packaged</source>
        <translation>无法打包</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="118"/>
        <source>Install Ollama from {url} and click Create again — or create the GGUF and Modelfile now and register them later.</source>
        <translation>请从 {url} 安装 Ollama 后再次点击“创建”——也可以现在只生成 GGUF 和 Modelfile，稍后再注册。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="134"/>
        <source>Start Ollama and click Create again — or create the GGUF and Modelfile now and register them later.</source>
        <translation>请启动 Ollama 后再次点击“创建”——也可以现在只生成 GGUF 和 Modelfile，稍后再注册。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="145"/>
        <source>Create files only</source>
        <translation>只生成文件</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="229"/>
        <source>Choose the base model folder first: the adapter is merged into it.</source>
        <translation>请先选择基础模型文件夹：适配器会合并进去。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="234"/>
        <source>Saves the GGUF and Modelfile in {folder}, registers {name} in Ollama and says hello to it.</source>
        <translation>将 GGUF 和 Modelfile 保存到 {folder}，在 Ollama 中注册 {name}，并和它打个招呼。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="237"/>
        <source>the model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="252"/>
        <source>Ollama is not running. Start it before you create the model.</source>
        <translation>Ollama 没有运行。请在创建模型前启动它。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="253"/>
        <location filename="../../desktop/pages/package_run.py" line="140"/>
        <source>Start Ollama</source>
        <translation>启动 Ollama</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="258"/>
        <source>Ollama {version} is too old; update it first.</source>
        <translation>Ollama {version} 版本太旧，请先更新。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="261"/>
        <location filename="../../desktop/pages/package_page.py" line="267"/>
        <location filename="../../desktop/pages/package_run.py" line="124"/>
        <source>Download Ollama</source>
        <translation>下载 Ollama</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="266"/>
        <source>Ollama is not installed. Install it to create and chat with your model.</source>
        <translation>未安装 Ollama。安装后才能创建模型并与之对话。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="109"/>
        <source>Ollama is not running</source>
        <translation>Ollama 没有运行</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_page.py" line="114"/>
        <location filename="../../desktop/pages/package_run.py" line="171"/>
        <source>Creating {name}</source>
        <translation>正在创建 {name}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="222"/>
        <source>Creating the model failed</source>
        <translation>创建模型失败</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="234"/>
        <source>Cancelled. No partial files were left behind.</source>
        <translation>已取消，没有留下未完成的文件。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="113"/>
        <source>Ollama is not installed (nothing answers at {host}).</source>
        <translation>未安装 Ollama（{host} 没有响应）。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_run.py" line="129"/>
        <source>Ollama is not running (nothing answers at {host}).</source>
        <translation>Ollama 没有运行（{host} 没有响应）。</translation>
    </message>
</context>
<context>
    <name>ParametersForm</name>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="82"/>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="85"/>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="86"/>
        <source>Higher is more creative, lower more focused.</source>
        <translation>越高越有创意，越低越专注。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="89"/>
        <source>Top P</source>
        <translation>Top P</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="90"/>
        <source>Sample only from the most likely words that add up to this share.</source>
        <translation>只从累计概率达到此比例的最可能词中采样。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="93"/>
        <source>Top K</source>
        <translation>Top K</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="94"/>
        <source>Sample only from this many most likely words (0 = all).</source>
        <translation>只从这么多个最可能的词中采样（0 = 全部）。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="97"/>
        <source>Repeat penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="98"/>
        <source>Above 1 discourages repeating itself.</source>
        <translation>大于 1 时会减少重复。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="101"/>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="102"/>
        <source>How many tokens of conversation the model sees.</source>
        <translation>模型能看到多少个 token 的对话内容。</translation>
    </message>
</context>
<context>
    <name>ProgressCard</name>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="47"/>
        <location filename="../../desktop/pages/package_result.py" line="58"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="49"/>
        <location filename="../../desktop/pages/package_result.py" line="53"/>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="54"/>
        <source>Stopping and removing partial files…</source>
        <translation>正在停止并删除未完成的文件…</translation>
    </message>
</context>
<context>
    <name>ResultCard</name>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="108"/>
        <source>Chat now</source>
        <translation>立即对话</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="109"/>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="110"/>
        <source>Package another model</source>
        <translation>再打包一个模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="127"/>
        <source>Copy “ollama run”</source>
        <translation>复制“ollama run”</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="127"/>
        <source>Copy “ollama create”</source>
        <translation>复制“ollama create”</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="132"/>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="141"/>
        <source>{name} is ready in Ollama</source>
        <translation>{name} 已在 Ollama 中就绪</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="144"/>
        <source>{name} was saved, but not registered in Ollama</source>
        <translation>{name} 已保存，但尚未注册到 Ollama</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="147"/>
        <source>{file} · {size}</source>
        <translation>{file} · {size}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="161"/>
        <source>Template problem: for the test conversation “{probe}” Ollama&apos;s prompt has {reported} tokens, the model&apos;s own chat template gives {expected}. The model will see chats formatted differently from its training.</source>
        <translation>模板有问题：对于测试对话“{probe}”，Ollama 构建的提示词有 {reported} 个词元，而模型自带的对话模板给出 {expected} 个。模型看到的对话格式将与训练时不同。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="168"/>
        <source>Ollama&apos;s prompt could not be checked: {reason}</source>
        <translation>无法检查 Ollama 构建的提示词：{reason}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="174"/>
        <source>It answered: “{reply}”</source>
        <translation>它回答：“{reply}”</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="178"/>
        <source>The test chat looks wrong: {problems}</source>
        <translation>试聊结果异常：{problems}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="188"/>
        <source>Ollama uses the model&apos;s own chat template (rendered by llama.cpp).</source>
        <translation>Ollama 使用模型自带的对话模板（由 llama.cpp 渲染）。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="190"/>
        <source>Ollama uses the derived Go template (proven identical).</source>
        <translation>Ollama 使用推导出的 Go 模板（已验证完全一致）。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="193"/>
        <source>Ollama uses the derived Go template (NOT proven identical to the model&apos;s own).</source>
        <translation>Ollama 使用推导出的 Go 模板（未能验证与模型自带模板一致）。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_result.py" line="197"/>
        <source>Ollama uses a chat template Tuneforge did not send: chats may be formatted wrongly.</source>
        <translation>Ollama 使用的对话模板并非 Tuneforge 提供的：对话格式可能不正确。</translation>
    </message>
</context>
<context>
    <name>RunPanel</name>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="61"/>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="62"/>
        <source>train</source>
        <translation>训练</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="63"/>
        <source>eval</source>
        <translation>验证</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="86"/>
        <source>Uploading {name}: {done} / {total}</source>
        <translation>正在上传 {name}：{done} / {total}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="100"/>
        <source>Resumed at step {step}</source>
        <translation>已从第 {step} 步继续</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="116"/>
        <source>Stopped at step {step}; a checkpoint is saved.</source>
        <translation>已在第 {step} 步停止，检查点已保存。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="125"/>
        <source>Waiting for the first step…</source>
        <translation>正在等待第一步…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="128"/>
        <source>Step {step} of {total}</source>
        <translation>第 {step} / {total} 步</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="129"/>
        <source>epoch {epoch:.2f}</source>
        <translation>轮次 {epoch:.2f}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="130"/>
        <source>loss {loss:.4f}</source>
        <translation>损失 {loss:.4f}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="131"/>
        <source>{rate:.0f} tokens/s</source>
        <translation>{rate:.0f} token/秒</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="132"/>
        <source>ETA {eta}</source>
        <translation>剩余 {eta}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="136"/>
        <source>GPU memory {gb:.1f} GB</source>
        <translation>显存 {gb:.1f} GB</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="138"/>
        <source>memory {gb:.1f} GB</source>
        <translation>内存 {gb:.1f} GB</translation>
    </message>
</context>
<context>
    <name>RunsList</name>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="191"/>
        <source>finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="191"/>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="192"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="192"/>
        <source>running or ended</source>
        <translation>运行中或已中断</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="204"/>
        <source>This computer</source>
        <translation>本机</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="212"/>
        <source>Runs</source>
        <translation>训练记录</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="213"/>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="214"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="215"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="216"/>
        <source>Run</source>
        <translation>训练</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="216"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="216"/>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="217"/>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="217"/>
        <source>Final loss</source>
        <translation>最终损失</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_run.py" line="218"/>
        <source>Where</source>
        <translation>位置</translation>
    </message>
</context>
<context>
    <name>RuntimeSettingsCard</name>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="98"/>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="114"/>
        <source>Remove the training runtime</source>
        <translation>删除训练运行环境</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="115"/>
        <source>Remove the training runtime ({size})?</source>
        <translation>删除训练运行环境（{size}）？</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="117"/>
        <source>Training on this PC needs it again later; your runs and models stay.</source>
        <translation>以后在本机训练时需要重新安装；您的训练记录和模型会保留。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="118"/>
        <location filename="../../desktop/widgets/runtime_settings.py" line="158"/>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="128"/>
        <source>Installed and working.</source>
        <translation>已安装，运行正常。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="129"/>
        <source>Not installed. Training on this PC sets it up (or use a rented GPU box).</source>
        <translation>未安装。在本机训练时会先安装它（也可以使用租用的 GPU 服务器）。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="130"/>
        <source>The install was interrupted: Set up continues it.</source>
        <translation>安装被中断：点击“安装…”可从中断处继续。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="131"/>
        <source>Broken: a package is missing or damaged. Repair reinstalls it.</source>
        <translation>已损坏：有软件包缺失或损坏。点击“修复”重新安装。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="132"/>
        <source>Made for another Tuneforge version: Set up updates it.</source>
        <translation>为其他版本的 Tuneforge 安装：点击“安装…”进行更新。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="139"/>
        <source>Folder: {path}</source>
        <translation>文件夹：{path}</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="141"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="143"/>
        <source>PyTorch {torch} ({where})</source>
        <translation>PyTorch {torch}（{where}）</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="146"/>
        <source>Size: {size}</source>
        <translation>大小：{size}</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="155"/>
        <source>Training on this PC</source>
        <translation>在本机训练</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="156"/>
        <source>Set up…</source>
        <translation>安装…</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="157"/>
        <source>Repair</source>
        <translation>修复</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="159"/>
        <source>Package index (mirror)</source>
        <translation>软件包索引（镜像）</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="161"/>
        <source>Default: PyPI — e.g. https://pypi.tuna.tsinghua.edu.cn/simple</source>
        <translation>默认：PyPI——例如 https://pypi.tuna.tsinghua.edu.cn/simple</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="163"/>
        <source>PyTorch index (mirror)</source>
        <translation>PyTorch 索引（镜像）</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_settings.py" line="165"/>
        <source>Default: download.pytorch.org — {tag} in the address becomes the build (cu128, cpu …)</source>
        <translation>默认：download.pytorch.org——地址中的 {tag} 会替换为对应版本（cu128、cpu …）</translation>
    </message>
</context>
<context>
    <name>RuntimeSetupPanel</name>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="109"/>
        <source>GPU: {name} ({memory})</source>
        <translation>显卡：{name}（{memory}）</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="112"/>
        <source>GPU: no NVIDIA GPU found</source>
        <translation>显卡：未找到 NVIDIA 显卡</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="114"/>
        <source>Driver: {driver} (runs CUDA up to {cuda})</source>
        <translation>驱动：{driver}（最高支持 CUDA {cuda}）</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="117"/>
        <source>CPU only</source>
        <translation>仅 CPU</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="119"/>
        <source>PyTorch to install: {torch} ({kind})</source>
        <translation>将安装的 PyTorch：{torch}（{kind}）</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="123"/>
        <source>Disk: {free} free, about {needed} needed in {path}</source>
        <translation>磁盘：可用 {free}，{path} 中约需 {needed}</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="133"/>
        <source>{done} of about {total}</source>
        <translation>{done} / 约 {total}</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="141"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="143"/>
        <source>✓ Training runtime ready: PyTorch {torch} ({where}).</source>
        <translation>✓ 训练运行环境已就绪：PyTorch {torch}（{where}）。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="156"/>
        <source>Stopped. Install again to continue where it stopped; what was downloaded is kept.</source>
        <translation>已停止。再次安装会从停止处继续，已下载的内容会保留。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="191"/>
        <source>Set up training on this PC</source>
        <translation>在本机设置训练环境</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="193"/>
        <source>Training needs PyTorch for your graphics card, which is too large to ship with the app. Tuneforge installs it once into its data folder (a few GB; the download can be stopped and continued later).</source>
        <translation>训练需要适配您显卡的 PyTorch，它太大，无法随应用一起提供。Tuneforge 会把它一次性安装到数据文件夹中（几 GB；下载可以暂停，之后继续）。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="196"/>
        <source>Check this PC</source>
        <translation>检查本机</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="197"/>
        <source>Repair</source>
        <translation>修复</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="197"/>
        <source>Install</source>
        <translation>安装</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/runtime_setup.py" line="198"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="155"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="156"/>
        <source>Changes are saved as you make them.</source>
        <translation>修改会立即保存。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="158"/>
        <source>Ollama</source>
        <translation>Ollama</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="159"/>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="160"/>
        <source>Hugging Face</source>
        <translation>Hugging Face</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="161"/>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="165"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="167"/>
        <source>Default: {host} (or the OLLAMA_HOST variable)</source>
        <translation>默认：{host}（或 OLLAMA_HOST 环境变量）</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="171"/>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="172"/>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="174"/>
        <location filename="../../desktop/pages/settings_page.py" line="183"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="175"/>
        <source>Endpoint (mirror)</source>
        <translation>端点（镜像）</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="177"/>
        <source>Default: https://huggingface.co — e.g. https://hf-mirror.com</source>
        <translation>默认：https://huggingface.co——例如 https://hf-mirror.com</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="179"/>
        <source>Cache folder</source>
        <translation>缓存文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="181"/>
        <source>Default: the Hugging Face cache in your user folder</source>
        <translation>默认：用户文件夹中的 Hugging Face 缓存</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="186"/>
        <source>Used when an adapter&apos;s base model has to be downloaded. A mirror helps where huggingface.co is slow.</source>
        <translation>在需要下载适配器的基础模型时使用。访问 huggingface.co 较慢时，镜像会有帮助。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="189"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="190"/>
        <location filename="../../desktop/pages/settings_page.py" line="193"/>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="191"/>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="193"/>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="193"/>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="196"/>
        <source>Settings file: {path}</source>
        <translation>设置文件：{path}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="198"/>
        <source>Log file: {path}</source>
        <translation>日志文件：{path}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="219"/>
        <source>Choose a folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="231"/>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/settings_page.py" line="246"/>
        <source>✓ Ollama {version} answers at {host}</source>
        <translation>✓ Ollama {version} 在 {host} 响应正常</translation>
    </message>
</context>
<context>
    <name>SourceCard</name>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="62"/>
        <source>Choose another…</source>
        <translation>换一个…</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="78"/>
        <source>Model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="79"/>
        <source>LoRA adapter</source>
        <translation>LoRA 适配器</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="80"/>
        <source>GGUF file</source>
        <translation>GGUF 文件</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="89"/>
        <source>Tuneforge cannot convert the {arch} architecture yet.</source>
        <translation>Tuneforge 暂时还不能转换 {arch} 架构。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="99"/>
        <location filename="../../desktop/widgets/source_card.py" line="172"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="103"/>
        <location filename="../../desktop/widgets/source_card.py" line="136"/>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="104"/>
        <location filename="../../desktop/widgets/source_card.py" line="137"/>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="105"/>
        <location filename="../../desktop/widgets/source_card.py" line="131"/>
        <location filename="../../desktop/widgets/source_card.py" line="138"/>
        <source>Size on disk</source>
        <translation>占用空间</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="106"/>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="107"/>
        <location filename="../../desktop/widgets/source_card.py" line="140"/>
        <source>Tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="109"/>
        <location filename="../../desktop/widgets/source_card.py" line="142"/>
        <source>Chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="113"/>
        <location filename="../../desktop/widgets/source_card.py" line="146"/>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="116"/>
        <source>Layers</source>
        <translation>层数</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="117"/>
        <source>Vocabulary</source>
        <translation>词表</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="121"/>
        <location filename="../../desktop/widgets/source_card.py" line="173"/>
        <source>not found on this computer</source>
        <translation>本机上未找到</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="126"/>
        <source>Adapter</source>
        <translation>适配器</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="127"/>
        <source>Rank</source>
        <translation>秩</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="128"/>
        <source>Trainable parameters</source>
        <translation>可训练参数</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="129"/>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="130"/>
        <source>Base folder</source>
        <translation>基础模型文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="139"/>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="154"/>
        <location filename="../../desktop/widgets/source_card.py" line="174"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/source_card.py" line="155"/>
        <source>custom</source>
        <translation>自定义</translation>
    </message>
</context>
<context>
    <name>SourceKinds</name>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="147"/>
        <source>Model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="149"/>
        <source>A merged model, e.g. from LLaMA-Factory&apos;s export: converted and quantized to GGUF.</source>
        <translation>合并后的模型（例如 LLaMA-Factory 导出的）：转换并量化为 GGUF。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="153"/>
        <source>LoRA adapter</source>
        <translation>LoRA 适配器</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="154"/>
        <source>Merged into its base model first, then converted like a model folder.</source>
        <translation>先合并到基础模型，再像模型文件夹一样转换。</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="157"/>
        <source>GGUF file</source>
        <translation>GGUF 文件</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/drop_zone.py" line="158"/>
        <source>Already converted: registered in Ollama with the right chat template.</source>
        <translation>已经转换好：用正确的对话模板注册到 Ollama。</translation>
    </message>
</context>
<context>
    <name>StageProgress</name>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="193"/>
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="195"/>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="198"/>
        <source>skipped ({why})</source>
        <translation>已跳过（{why}）</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="200"/>
        <source>skipped</source>
        <translation>已跳过</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="204"/>
        <source>failed ({why})</source>
        <translation>失败（{why}）</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="205"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="210"/>
        <source>done in {time}</source>
        <translation>完成，用时 {time}</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="209"/>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="214"/>
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="225"/>
        <source>{time} left</source>
        <translation>剩余 {time}</translation>
    </message>
    <message>
        <location filename="../../desktop/widgets/stage_progress.py" line="226"/>
        <source>working…</source>
        <translation>处理中…</translation>
    </message>
</context>
<context>
    <name>TemplatePanel</name>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="159"/>
        <source>Chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="160"/>
        <source>Show the Ollama template</source>
        <translation>显示 Ollama 模板</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="167"/>
        <source>The chat template is read from the base model once it is chosen.</source>
        <translation>选择基础模型后，会从中读取对话模板。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="174"/>
        <source>custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="175"/>
        <source>Derived from the model&apos;s own chat template (family: {family}).</source>
        <translation>由模型自带的对话模板推导而来（系列：{family}）。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="179"/>
        <source>Stops at: {tokens}</source>
        <translation>停止标记：{tokens}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="185"/>
        <source>✓ Same output on {n} sample conversations</source>
        <translation>✓ {n} 个示例对话输出一致</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="187"/>
        <source>✓ Same output as the original</source>
        <translation>✓ 与原模板输出一致</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="191"/>
        <source>✗ Differs from the original</source>
        <translation>✗ 与原模板不一致</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="169"/>
        <location filename="../../desktop/pages/package_form.py" line="194"/>
        <source>Not checked</source>
        <translation>未检查</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="197"/>
        <source>First difference: {diff}</source>
        <translation>第一处差异：{diff}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/package_form.py" line="203"/>
        <source>(no template: Ollama will use the GGUF&apos;s own)</source>
        <translation>（无模板：Ollama 将使用 GGUF 自带的模板）</translation>
    </message>
</context>
<context>
    <name>TrainOptions</name>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="166"/>
        <source>This computer: {gpus}</source>
        <translation>本机：{gpus}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="170"/>
        <source>This computer: no CUDA GPU. Training on the CPU is only for tiny tests.</source>
        <translation>本机：没有 CUDA 显卡。CPU 训练只适合极小的测试。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="187"/>
        <source>Estimated GPU memory: {need:.1f} GB</source>
        <translation>预计显存：{need:.1f} GB</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="189"/>
        <source>— more than this GPU&apos;s {have:.0f} GB: lower the cutoff or batch size, or turn on QLoRA.</source>
        <translation>—— 超过这块显卡的 {have:.0f} GB：请降低截断长度或批大小，或开启 QLoRA。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="198"/>
        <source>Quick test: 30 steps to see that everything works (minutes).</source>
        <translation>快速测试：训练 30 步，确认一切正常（几分钟）。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="199"/>
        <source>Balanced: 3 epochs, good for most datasets.</source>
        <translation>均衡：3 轮，适合大多数数据集。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="200"/>
        <source>Thorough: 5 epochs, a larger adapter and longer examples; slower, for large datasets.</source>
        <translation>充分：5 轮、更大的适配器和更长的样本；更慢，适合大数据集。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="205"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="206"/>
        <source>Quick test</source>
        <translation>快速测试</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="207"/>
        <source>Balanced</source>
        <translation>均衡</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="208"/>
        <source>Thorough</source>
        <translation>充分</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="211"/>
        <source>Advanced</source>
        <translation>高级</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="212"/>
        <source>Load the base in 4 bits</source>
        <translation>以 4 位加载基础模型</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="213"/>
        <source>Where to train</source>
        <translation>训练位置</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="215"/>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="216"/>
        <source>How big each learning step is. Too high: the loss jumps or becomes NaN; too low: the model barely changes. 2e-4 suits LoRA; lower it if the loss spikes.</source>
        <translation>每一步学习的幅度。太高：损失跳动或变成 NaN；太低：模型几乎不变。LoRA 用 2e-4 合适；损失出现尖峰时调低。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="218"/>
        <source>Epochs</source>
        <translation>训练轮数</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="219"/>
        <source>How many times the model reads the whole dataset. More epochs learn more but can memorise a small dataset; lower it when the eval loss rises.</source>
        <translation>模型把整个数据集读几遍。轮数越多学得越多，但小数据集可能被死记硬背；验证损失上升时调低。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="221"/>
        <source>Max steps</source>
        <translation>最大步数</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="222"/>
        <source>Stop after this many training steps (0: use the epochs). Handy for a quick test on a big dataset.</source>
        <translation>训练到这么多步就停止（0：按轮数）。适合在大数据集上快速测试。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="224"/>
        <source>Max samples</source>
        <translation>最大样本数</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="225"/>
        <source>Train on only the first this many examples of the dataset (0: all of them). Use it for a quick test of a big dataset, or to see whether more data helps.</source>
        <translation>只用数据集中的前这么多条样本训练（0：全部）。适合在大数据集上快速试跑，或看看更多数据是否有帮助。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="227"/>
        <source>Max grad norm</source>
        <translation>最大梯度范数</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="228"/>
        <source>Caps how far one step can move the weights, which keeps training stable. 1.0 is standard; rarely needs changing.</source>
        <translation>限制每一步对权重的改动幅度，让训练保持稳定。标准值为 1.0，一般不用改。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="230"/>
        <source>Compute type</source>
        <translation>计算精度</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="231"/>
        <source>Number format for the arithmetic. auto picks bf16 on GPUs that have it, else fp16; fp32 is exact but slow and memory-hungry. Change it only if the loss is NaN.</source>
        <translation>计算所用的数字格式。auto 在支持的显卡上用 bf16，否则用 fp16；fp32 最精确但慢且占显存。只有损失变成 NaN 时才需要改。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="233"/>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="234"/>
        <source>Where to train: auto uses the CUDA GPU when there is one. The CPU is only for tiny tests.</source>
        <translation>在哪里训练：auto 会在有 CUDA 显卡时使用显卡。CPU 只适合极小的测试。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="236"/>
        <source>Cutoff length</source>
        <translation>截断长度</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="237"/>
        <source>The longest example in tokens; longer ones are cut. Raise it when many examples are truncated (see the histogram); lower it to save memory.</source>
        <translation>样本的最大 token 数，更长的会被截断。很多样本被截断时（见直方图）调高；想省显存时调低。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="239"/>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="240"/>
        <source>Examples processed together on the GPU. Larger is faster but needs more memory; lower it when you run out of memory.</source>
        <translation>显卡上同时处理的样本数。越大越快但更占显存；显存不足时调低。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="242"/>
        <source>Gradient accumulation</source>
        <translation>梯度累积</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="243"/>
        <source>Adds up several batches before each step, so batch size × this is the effective batch. Raise it instead of the batch size to save memory.</source>
        <translation>累积几个批次再更新一次，实际批大小 = 批大小 × 这个值。想省显存时调高它，而不是调高批大小。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="245"/>
        <source>Validation split</source>
        <translation>验证集划分</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="246"/>
        <source>Examples held back to measure the eval loss: a share (0.1 = 10%) or a count; 0 turns it off, -1 is automatic (10% from 50 examples).</source>
        <translation>留出来计算验证损失的样本：比例（0.1 = 10%）或数量；0 表示不用，-1 表示自动（50 个样本起取 10%）。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="248"/>
        <source>LoRA rank</source>
        <translation>LoRA 秩</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="249"/>
        <source>The size of the adapter. 8 is enough for style and format; 16–64 for teaching more knowledge, at more memory and a larger file.</source>
        <translation>适配器的大小。学风格和格式用 8 就够；要教更多知识用 16–64，会更占显存、文件更大。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="251"/>
        <source>LoRA alpha</source>
        <translation>LoRA alpha</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="252"/>
        <source>How strongly the adapter acts (0: twice the rank, the usual choice). Change it together with the learning rate, rarely alone.</source>
        <translation>适配器作用的强度（0：秩的两倍，通常的选择）。一般与学习率一起调整，很少单独改。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="254"/>
        <source>LoRA dropout</source>
        <translation>LoRA dropout</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="255"/>
        <source>Randomly ignores part of the adapter while training to fight memorising. 0 is fine; try 0.05–0.1 on small datasets that overfit.</source>
        <translation>训练时随机忽略适配器的一部分，防止死记硬背。一般用 0；小数据集过拟合时试试 0.05–0.1。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="257"/>
        <source>LoRA targets</source>
        <translation>LoRA 目标层</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="258"/>
        <source>Which layers get an adapter: all-linear (best quality) or names such as q_proj,v_proj (smaller, weaker).</source>
        <translation>给哪些层加适配器：all-linear（效果最好），或指定名称如 q_proj,v_proj（更小，效果较弱）。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="260"/>
        <source>QLoRA</source>
        <translation>QLoRA</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_options.py" line="261"/>
        <source>Keeps the base model in 4 bits so a larger model fits a smaller GPU, a little slower and slightly less exact. CUDA only.</source>
        <translation>以 4 位保存基础模型，让更大的模型放进更小的显卡，稍慢、精度略低。仅支持 CUDA。</translation>
    </message>
</context>
<context>
    <name>WherePanel</name>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="33"/>
        <source>no NVIDIA GPU</source>
        <translation>没有 NVIDIA GPU</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="38"/>
        <source>{free:.0f} GB free</source>
        <translation>剩余 {free:.0f} GB</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="40"/>
        <source>runtime {version}</source>
        <translation>运行环境 {version}</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="41"/>
        <source>runtime not set up yet</source>
        <translation>运行环境尚未安装</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="120"/>
        <location filename="../../desktop/pages/finetune_where.py" line="279"/>
        <source>This computer</source>
        <translation>本机</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="170"/>
        <source>Connecting to {host}…</source>
        <translation>正在连接 {host}…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="175"/>
        <source>Trust this box?</source>
        <translation>信任这台服务器？</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="176"/>
        <source>{host} presents this key:</source>
        <translation>{host} 出示的主机密钥：</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="177"/>
        <source>Compare it with the fingerprint your GPU provider shows. Trust it only if they match.</source>
        <translation>请与 GPU 服务商显示的指纹核对，只有一致时才信任。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="178"/>
        <source>Trust and save</source>
        <translation>信任并保存</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="180"/>
        <source>Not saved: the key was not trusted.</source>
        <translation>未保存：没有信任该密钥。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="189"/>
        <source>Saved {name}; logging in works.</source>
        <translation>已保存 {name}，登录成功。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="195"/>
        <source>Remove box</source>
        <translation>移除服务器</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="195"/>
        <source>Remove {name}?</source>
        <translation>移除 {name}？</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="196"/>
        <source>Its saved password and settings are removed from this computer; nothing on the box is deleted.</source>
        <translation>会从本机删除它保存的密码和设置；服务器上的内容不会被删除。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="197"/>
        <location filename="../../desktop/pages/finetune_where.py" line="282"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="209"/>
        <source>Testing the connection…</source>
        <translation>正在测试连接…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="227"/>
        <source>Setting up the training runtime on {name}; this can take a while…</source>
        <translation>正在 {name} 上安装训练运行环境，可能需要一段时间…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="241"/>
        <source>Cancelling the setup…</source>
        <translation>正在取消安装…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="252"/>
        <source>Setup was cancelled; the runtime is not ready. Set up again to start over.</source>
        <translation>安装已取消，训练环境尚未就绪。再次点击“安装环境”可重新开始。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="258"/>
        <source>{name} is ready to train.</source>
        <translation>{name} 已可以训练。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="280"/>
        <source>Add box…</source>
        <translation>添加服务器…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="281"/>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="283"/>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="284"/>
        <source>Set up</source>
        <translation>安装环境</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="285"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="286"/>
        <source>Reuse the box&apos;s Python packages (torch of the image)</source>
        <translation>复用服务器已有的 Python 包（镜像自带的 torch）</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="288"/>
        <source>Set up builds the runtime on top of the box&apos;s own Python and keeps the PyTorch its image ships instead of downloading another (about 2 GB). Use it on images that come with PyTorch (e.g. a PyTorch or conda image).</source>
        <translation>“安装环境”会在服务器自己的 Python 之上创建运行环境，沿用镜像自带的 PyTorch，而不再下载一份（约 2 GB）。适用于自带 PyTorch 的镜像（例如 PyTorch 或 conda 镜像）。</translation>
    </message>
    <message>
        <location filename="../../desktop/pages/finetune_where.py" line="291"/>
        <source>Train on this computer, or on a rented GPU box over SSH. A run on a box goes on when you close the app.</source>
        <translation>在本机训练，或通过 SSH 在租用的 GPU 服务器上训练。关闭应用后，服务器上的训练会继续进行。</translation>
    </message>
</context>
<context>
    <name>jobs</name>
    <message>
        <location filename="../../desktop/jobs.py" line="195"/>
        <source>Something went wrong</source>
        <translation>出错了</translation>
    </message>
</context>
</TS>
