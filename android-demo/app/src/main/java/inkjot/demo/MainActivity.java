package inkjot.demo;

import android.app.Activity;
import android.os.Bundle;
import android.view.ViewGroup;
import android.widget.Button;
import android.widget.LinearLayout;
import android.widget.TextView;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import inkjot.Candidate;
import inkjot.InkjotException;
import inkjot.Recognizer;

/** Writes with a finger or stylus; shows the live candidates above the writing area. */
public final class MainActivity extends Activity {
    private Recognizer recognizer;
    private InkView ink;

    @Override
    protected void onCreate(Bundle state) {
        super.onCreate(state);
        LinearLayout root = new LinearLayout(this);
        root.setOrientation(LinearLayout.VERTICAL);
        TextView candidates = new TextView(this);
        candidates.setTextSize(22f);
        candidates.setPadding(24, 24, 24, 24);
        Button clear = new Button(this);
        clear.setText("Clear");
        ink = new InkView(this);
        root.addView(candidates);
        root.addView(clear);
        root.addView(ink, new LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 0, 1f));
        setContentView(root);

        try {
            // Apps ship the model (and a language pack) inside the APK and load them from memory.
            byte[] model = readAsset("recognizer-int8.safetensors");
            byte[] lm = null;
            String decoderConfig = null;
            try {
                lm = readAsset("en/lm.bin");
                decoderConfig = new String(readAsset("en/decoder.json"), StandardCharsets.UTF_8);
            } catch (IOException noPack) {
                lm = null; // no language pack: greedy decoding, one candidate
                decoderConfig = null;
            }
            recognizer = Recognizer.fromBytes(model, lm, decoderConfig);
        } catch (IOException | InkjotException e) {
            candidates.setText("Cannot load the model: " + e.getMessage());
            return;
        }
        ink.attach(recognizer, (Candidate[] c) -> {
            StringBuilder text = new StringBuilder();
            for (Candidate candidate : c) {
                if (text.length() > 0) text.append("  |  ");
                text.append(candidate.text);
            }
            candidates.setText(text);
        });
        clear.setOnClickListener(v -> {
            ink.clear();
            candidates.setText("");
        });
    }

    private byte[] readAsset(String name) throws IOException {
        try (InputStream in = getAssets().open(name)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) out.write(buffer, 0, n);
            return out.toByteArray();
        }
    }

    @Override
    protected void onDestroy() {
        ink.release();
        if (recognizer != null) recognizer.close();
        super.onDestroy();
    }
}
